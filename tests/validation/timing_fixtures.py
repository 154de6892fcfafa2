"""Synthetic interleaved recordings with known noise and planted effects, for the timing statistics."""

import numpy as np

from benchmarks.interleaved import Blocks, Case, one_shot_block


def synthetic_blocks(cases, labels, effects, rounds, blocks, block_sd=0.02, round_sd=0.005, seed=0,
                     one_shot_every=1):
    """Blocks whose per-block medians are log-normal around 1 ms (one-shot cells: NaN where
    ``one_shot_block`` skips them), with a per-round offset of each worker and case, and
    ``effects[(label, case name)]`` multiplying that worker's times."""
    rng = np.random.default_rng(seed)
    medians = {label: {case.name: [] for case in cases} for label in labels}
    for _ in range(rounds):
        offsets = {(label, case.name): rng.normal(0, round_sd / np.sqrt(2))
                   for label in labels for case in cases}
        for block in range(blocks):
            drift = rng.normal(0, 0.1)  # the machine: shared by every worker in the block
            for label in labels:
                for case in cases:
                    if case.one_shot and not one_shot_block(block, one_shot_every):
                        medians[label][case.name].append(float("nan"))
                        continue
                    log_time = (np.log(1e-3) + drift + offsets[(label, case.name)]
                                + np.log(effects.get((label, case.name), 1.0))
                                + rng.normal(0, block_sd / np.sqrt(2)))
                    medians[label][case.name].append(float(np.exp(log_time)))
    return Blocks(list(labels), list(cases), 5, medians, [r for r in range(rounds) for _ in range(blocks)])


__all__ = ["Case", "synthetic_blocks"]

"""The whole grid, backend x suite x R: reference / fused with an interval, and the train step's
fraction of the floor (``benchmarks.floor``). ``python -m benchmarks.grid --help``.

Each backend runs in its own subprocess (``KERAS_BACKEND`` is read once, at import). Inside it, the
two implementations (and, for the train step, the floor) are timed in interleaved blocks: a block
is a few rounds of one call of each implementation, every round in a fresh random order, so that
load on the machine hits all alike, and a run of the floor's calls (a best case, caches warm); a
block's time is the median of its calls. A cell's ratio reference / fused (above 1: the fused layer
is faster) is the trimmed mean of the per-block log ratios; the ratio, its interval and its verdict
(win, LOSS, tie) come from the project's timing rule (``harness.timing_rule``), whose A/A rate on
the grid is measured by ``python -m benchmarks.grid.aa``. Build and first step are one-shot: each
block is one fresh build (or first step) of each.

A warm cell times one model of each implementation for the whole cell, and two models of identical
code in one process differ by an offset they keep for their life (memory layout, thread placement),
which the cell's blocks cannot show: the grid's A/A cells measured it (``instance``), and every warm
cell's interval is widened by its upper limit (``harness.timing_rule.judge_paired``'s
``known_variance``), as ``make compare`` widens its intervals by the power table's round sd.

Every run is appended to a history; over runs of the same code the sd of a warm cell's ratio from run
to run, per R, is fitted (``history``), and a warm cell is widened by the larger of the two limits.

Modules: ``verdict`` (a cell's ratio, interval and verdict), ``instance`` (the warm models' offset
and the A/A table it is fitted on), ``history`` (the runs and their run-to-run spread),
``measure`` (the interleaved blocks: one backend's worker), ``table`` (the grid as text or markdown,
read back from its JSON), ``run`` (the command, one subprocess per backend) and ``aa`` (the
verdict's A/A rate).
"""

SUITES = ("train_step", "layer_forward", "layer_forward_backward", "network_forward", "build",
          "first_step")
WARM_SUITES = SUITES[:4]  # one warm model of each implementation for the cell (build, first step: fresh ones)
BACKENDS = ("tensorflow", "jax", "torch")

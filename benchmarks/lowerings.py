"""The fused train step at every lowering on this machine: reference / fused for ``auto`` and each pinned
lowering, and auto against the best pinned one, all timed in the same interleaved blocks.

``python -m benchmarks.lowerings --replicas 10 100`` (the active ``KERAS_BACKEND``; on TensorFlow/x86,
``TF_ENABLE_ONEDNN_OPTS=0`` or ``=1`` picks the CPU kernel family). Written to
``results/perf/lowerings.json`` with the machine's description and auto's choice per layer; the
report shows it. Auto's choice is measured (and cached) before any timing.

Auto against a pinned lowering is judged by the project's timing rule (``harness.timing_rule``) on the
per-block log ratios auto / pinned: "slower" means auto is measurably slower than that lowering.
"""

import argparse
import math
import statistics
import sys
from pathlib import Path

from benchmarks import cases
from benchmarks.grid.measure import measure_cell
from benchmarks.grid.verdict import ratio_interval
from harness.result_files import check_producer, write_produced_json
from harness.timing_rule import judge_paired

IMPLEMENTATION = "multidense"
DEFAULT_JSON = Path("results/perf/lowerings.json")
PRODUCER = "benchmarks.lowerings"


def auto_choice(replicas):
    """``{layer: lowering}`` that ``auto`` picks for the fit network of ``replicas`` (measured if new)."""
    import keras

    from multidense_impl.lowerings import lowerings_of

    keras.backend.clear_session()
    choice = lowerings_of(cases.build_network(IMPLEMENTATION, replicas))
    keras.backend.clear_session()
    return choice


def lowering_row(replicas, samples, pinned):
    """Reference / fused per lowering, and auto / pinned with the timing rule's verdict."""
    from harness.registry import REFERENCE

    row = {"replicas": replicas, "blocks": len(samples[REFERENCE]), "lowerings": {}}
    for name, seconds in samples.items():
        if name == REFERENCE:
            continue
        lowering = cases.split_lowering(name)[1] or cases.AUTO
        ratio, low, high = ratio_interval([r / f for r, f in zip(samples[REFERENCE], seconds, strict=True)])
        entry = {"reference_over_fused": ratio, "low": low, "high": high,
                 "median_seconds": statistics.median(seconds)}
        if lowering != cases.AUTO:
            verdict = judge_paired([math.log(a / p) for a, p in zip(samples[IMPLEMENTATION], seconds,
                                                                     strict=True)])
            entry.update(auto_over_pinned=verdict.ratio, auto_low=verdict.low, auto_high=verdict.high,
                         auto_verdict=verdict.verdict)
        row["lowerings"][lowering] = entry
    fastest = min(pinned, key=lambda name: row["lowerings"][name]["median_seconds"])
    row["best_pinned"] = fastest
    return row


def measure(replicas_list, blocks, block_seconds):
    from harness.device import device_description
    from multidense_impl.lowerings import candidates

    rows = []
    for replicas in replicas_list:
        choice = auto_choice(replicas)
        pinned = list(candidates(replicas))
        names = [IMPLEMENTATION, *(cases.with_lowering(IMPLEMENTATION, name) for name in pinned)]
        samples = measure_cell("train_step", replicas, blocks, block_seconds, 1, names, with_floor=False)
        row = lowering_row(replicas, samples, pinned)
        row["auto_choice"] = choice
        rows.append(row)
        print(format_rows([row]), file=sys.stderr, flush=True)
    return {"machine": device_description(), "rows": rows}


def format_rows(rows):
    """One line per R and lowering: reference / fused with its interval, auto / that lowering."""
    lines = [f"{'R':>4}  {'lowering':<16}{'ref/fused':>10}  {'95% interval':<15}{'auto/pinned':>12}  "
             f"{'99% interval':<15}verdict on auto"]
    for row in rows:
        for lowering, entry in row["lowerings"].items():
            interval = f"[{entry['low']:.2f}, {entry['high']:.2f}]"
            auto = ""
            if "auto_over_pinned" in entry and entry["auto_over_pinned"] is not None:
                auto = (f"{entry['auto_over_pinned']:>12.3f}  "
                        f"[{entry['auto_low']:.3f}, {entry['auto_high']:.3f}]  {entry['auto_verdict']}")
            best = " (best pinned)" if lowering == row["best_pinned"] else ""
            lines.append(f"{row['replicas']:>4}  {lowering:<16}{entry['reference_over_fused']:>10.2f}  "
                         f"{interval:<15}{auto}{best}")
        lines.append(f"{'':>4}  auto chose: {row['auto_choice']}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--blocks", type=int, default=15, help="interleaved blocks per R")
    parser.add_argument("--block-seconds", type=float, default=0.2,
                        help="about how long one lowering runs in a block")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the table is written")
    arguments = parser.parse_args(argv)
    if any(replicas < 1 for replicas in arguments.replicas):
        parser.error(f"--replicas must be at least 1, got {arguments.replicas}")
    if arguments.blocks < 10:
        parser.error(f"--blocks must be at least 10 (the timing rule's minimum), got {arguments.blocks}")
    if arguments.block_seconds <= 0:
        parser.error(f"--block-seconds must be positive, got {arguments.block_seconds}")
    try:
        check_producer(arguments.json, PRODUCER)
    except FileExistsError as error:
        raise SystemExit(f"error: {error}") from None
    result = measure(arguments.replicas, arguments.blocks, arguments.block_seconds)
    print(format_rows(result["rows"]))
    command = " ".join(["python -m benchmarks.lowerings", *(argv if argv is not None else sys.argv[1:])])
    write_produced_json(arguments.json, {**result, "command": command}, PRODUCER)
    print(f"written to {arguments.json}")


if __name__ == "__main__":
    main()

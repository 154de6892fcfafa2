"""The grid's file (``results/perf/grid.json``) and its two faces: a text table and a markdown table."""

import json
from pathlib import Path

from harness.result_files import check_producer, write_produced_json

PRODUCER = "benchmarks.grid"
DEFAULT_JSON = Path("results/perf/grid.json")
CELL_KEYS = ("backend", "suite", "replicas", "ratio", "low", "high", "verdict")


def _candidates(cells):
    return {cell.get("candidate", "multidense") for cell in cells}


def format_grid(cells):
    """The grid as text: one line per backend, suite, R (and candidate, where there are several)."""
    several = len(_candidates(cells)) > 1
    lines = [f"{'backend':<11}{'suite':<24}{'R':>4}{'ref/fused':>10}  {'99% interval':<15}{'verdict':<8}"
             f"{'fused/floor':>12}{'ref/floor':>10}{'fused/roofline':>15}"
             + ("  candidate" if several else "")]
    for cell in cells:
        floor = ("", "", "")
        if cell.get("fused_fraction_of_floor") is not None:
            floor = (f"{cell['fused_fraction_of_floor']:.2f}", f"{cell['reference_fraction_of_floor']:.2f}",
                     f"{cell['fused_fraction_of_roofline']:.2f}")
        interval = "" if cell["verdict"] == "n/a" else f"[{cell['low']:.2f}, {cell['high']:.2f}]"
        lines.append(f"{cell['backend']:<11}{cell['suite']:<24}{cell['replicas']:>4}{cell['ratio']:>10.2f}  "
                     f"{interval:<15}{cell['verdict']:<8}"
                     f"{floor[0]:>12}{floor[1]:>10}{floor[2]:>15}"
                     + (f"  {cell.get('candidate', 'multidense')}" if several else ""))
    return "\n".join(lines)



def format_markdown(cells):
    """The grid as a markdown table (the form docs/benchmarks.md quotes): ratio reference / fused with
    its 99 % interval (none under 10 blocks: the median of the samples), verdict, blocks (samples of a
    one-shot cell) and, for the train step, fused / floor with the reference's in brackets."""
    several = len(_candidates(cells)) > 1
    lines = ["| backend | suite | R | ref/fused [99 %] | verdict | blocks | fused/floor (reference) |"
             + (" candidate |" if several else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if several else "")]
    for cell in cells:
        floor = ""
        if cell.get("fused_fraction_of_floor") is not None:
            floor = f"{cell['fused_fraction_of_floor']:.2f} ({cell['reference_fraction_of_floor']:.2f})"
        interval = f"{cell['ratio']:.2f}" + ("" if cell["verdict"] == "n/a"
                                             else f" [{cell['low']:.2f}, {cell['high']:.2f}]")
        lines.append(f"| {cell['backend']} | {cell['suite']} | {cell['replicas']} | {interval} "
                     f"| {cell['verdict']} | {cell.get('blocks', '')} | {floor} |"
                     + (f" {cell.get('candidate', 'multidense')} |" if several else ""))
    return "\n".join(lines)


def verdict_counts(cells):
    """``{verdict: cells}`` in the order win, tie, LOSS, n/a (those present)."""
    order = ("win", "tie", "LOSS", "n/a")
    return {verdict: sum(cell["verdict"] == verdict for cell in cells) for verdict in order
            if any(cell["verdict"] == verdict for cell in cells)}


def read_grid(path):
    """The grid written to ``path``; ValueError naming the file when it is not one."""
    path = Path(path)
    try:
        grid = json.loads(path.read_text())
        cells = grid["cells"]
        if not isinstance(cells, list) or not all(isinstance(cell, dict) and set(CELL_KEYS) <= cell.keys()
                                                  for cell in cells):
            raise ValueError(f"its cells lack some of {', '.join(CELL_KEYS)}")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"perf grid {path}: not a grid written by {PRODUCER} ({error})") from None
    return grid


def check_writable(path):
    """Raise FileExistsError when ``path`` exists and was not written by the grid."""
    return check_producer(path, PRODUCER)


def write_grid(path, payload):
    """Write the grid's ``payload`` to ``path``, never over another command's file."""
    return write_produced_json(path, payload, PRODUCER)

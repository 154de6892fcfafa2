"""The report's "fraction of floor" block, read from the grid written by ``python -m benchmarks.grid``."""

from pathlib import Path

from benchmarks.grid.history import spread_lines
from benchmarks.grid.instance import aa_rate_line
from benchmarks.grid.table import DEFAULT_JSON, read_grid

PERF_GRID_FILE = DEFAULT_JSON  # where the report looks: where the grid writes by default


def perf_grid_context(path):
    """``{"available", "path", "command", "rows", "rates"}``: one row per backend, R and candidate of
    the train step (fused / floor, reference / floor, reference / fused with its 99 % interval and
    verdict) and, as the grid prints them, its verdict's A/A rate and its run-to-run spread
    (``benchmarks.grid.history``); ``available`` False without the file."""
    path = Path(path)
    if not path.exists():
        return {"available": False, "path": str(path), "command": "", "rows": [], "rates": []}
    grid = read_grid(path)
    rows = [
        {"backend": cell["backend"], "replicas": cell["replicas"],
         "candidate": cell.get("candidate", "multidense"),
         "fused_fraction": cell["fused_fraction_of_floor"],
         "reference_fraction": cell["reference_fraction_of_floor"],
         "ratio": cell["ratio"], "low": cell["low"], "high": cell["high"], "verdict": cell["verdict"]}
        for cell in grid["cells"] if cell.get("fused_fraction_of_floor") is not None
    ]
    return {"available": True, "path": str(path), "command": grid.get("command", ""), "rows": rows,
            "rates": [*aa_rate_line(sorted({row["backend"] for row in rows})).splitlines(), *spread_lines()]}

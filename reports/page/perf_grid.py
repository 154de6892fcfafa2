"""The report's "fraction of floor" block, read from the grid written by ``python -m benchmarks.grid``."""

from pathlib import Path

from benchmarks.grid.table import DEFAULT_JSON, read_grid

PERF_GRID_FILE = DEFAULT_JSON  # where the report looks: where the grid writes by default


def perf_grid_context(path):
    """``{"available", "path", "command", "rows"}``: one row per backend, R and candidate of the train
    step (fused / floor, reference / floor, reference / fused); ``available`` False without the file."""
    path = Path(path)
    if not path.exists():
        return {"available": False, "path": str(path), "command": "", "rows": []}
    grid = read_grid(path)
    rows = [
        {"backend": cell["backend"], "replicas": cell["replicas"],
         "candidate": cell.get("candidate", "multidense"),
         "fused_fraction": cell["fused_fraction_of_floor"],
         "reference_fraction": cell["reference_fraction_of_floor"],
         "ratio": cell["ratio"], "low": cell["low"], "high": cell["high"]}
        for cell in grid["cells"] if cell.get("fused_fraction_of_floor") is not None
    ]
    return {"available": True, "path": str(path), "command": grid.get("command", ""), "rows": rows}

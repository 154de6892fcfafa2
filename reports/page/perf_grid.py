"""The report's "fraction of floor" block, read from the grid written by ``python -m benchmarks.grid``."""

import json
from pathlib import Path

PERF_GRID_FILE = Path("results/perf/grid.json")


def perf_grid_context(path):
    """``{"available", "path", "command", "rows"}``: one row per backend, R and candidate of the train
    step (fused / floor, reference / floor, reference / fused); ``available`` False without the file."""
    path = Path(path)
    if not path.exists():
        return {"available": False, "path": str(path), "command": "", "rows": []}
    try:
        grid = json.loads(path.read_text())
        cells = grid["cells"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"perf grid {path}: not a grid written by benchmarks.grid ({error})") from None
    rows = [
        {"backend": cell["backend"], "replicas": cell["replicas"],
         "candidate": cell.get("candidate", "multidense"),
         "fused_fraction": cell["fused_fraction_of_floor"],
         "reference_fraction": cell["reference_fraction_of_floor"],
         "ratio": cell["ratio"], "low": cell["low"], "high": cell["high"]}
        for cell in cells if cell.get("fused_fraction_of_floor") is not None
    ]
    return {"available": True, "path": str(path), "command": grid.get("command", ""), "rows": rows}

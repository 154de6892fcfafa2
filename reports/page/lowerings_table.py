"""The report's per-machine table of the fused layer's lowerings, read from the file written by
``python -m benchmarks.lowerings`` (reference / fused per lowering, auto against each pinned one, and
what auto chose per layer), and the tables of that layout measured on GPUs and committed in
``docs/gpu-lowerings/``."""

import json
from pathlib import Path

LOWERINGS_FILE = Path("results/perf/lowerings.json")
GPU_LOWERINGS_FOLDER = Path("docs/gpu-lowerings")


def lowerings_context(path):
    """``{"available", "path", "command", "machine", "rows"}``: one row per R and lowering;
    ``available`` False without the file, a ValueError naming it when it is not such a file."""
    path = Path(path)
    if not path.exists():
        return {"available": False, "path": str(path), "command": "", "machine": {}, "rows": []}
    try:
        data = json.loads(path.read_text())
        rows = [
            {"replicas": row["replicas"], "lowering": lowering, "best": lowering == row["best_pinned"],
             "ratio": entry["reference_over_fused"], "low": entry["low"], "high": entry["high"],
             "auto_ratio": entry.get("auto_over_pinned"), "auto_low": entry.get("auto_low"),
             "auto_high": entry.get("auto_high"), "auto_verdict": entry.get("auto_verdict", ""),
             "auto_choice": ", ".join(f"{layer}: {name}" for layer, name in row["auto_choice"].items())}
            for row in data["rows"] for lowering, entry in row["lowerings"].items()
        ]
        machine = dict(data["machine"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"lowerings table {path}: not written by benchmarks.lowerings ({error})") from None
    return {"available": True, "path": str(path), "command": data.get("command", ""), "machine": machine,
            "rows": rows}


def committed_lowerings(root, folder=GPU_LOWERINGS_FOLDER):
    """``lowerings_context`` of every ``*.json`` in ``root / folder`` (the committed GPU measurements), by
    name, each ``path`` relative to ``root`` (the page is published: no path of the machine that built it)."""
    return [{**lowerings_context(path), "path": str(path.relative_to(root))}
            for path in sorted((Path(root) / folder).glob("*.json"))]

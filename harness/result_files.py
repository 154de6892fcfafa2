"""Result files the harness writes: never written over a file that is not ours, replaced atomically.

Every command that writes results (validation, timing, the grid, the lowering table) decides what
"ours" means (a schema, a producer); this module refuses the rest and writes through a temporary
file, so that a killed command leaves the old file or the new one, never half of one.
"""

import json
import os
import tempfile
from pathlib import Path


def check_writable(path, is_ours, owner, parameter=""):
    """``path`` as a Path, its folder created; FileExistsError when it exists and ``is_ours(path)`` is
    false. The message names ``parameter`` (e.g. ``--json``) and what ``owner`` would have written it."""
    path = Path(path)
    if path.exists() and not is_ours(path):
        named = f"{parameter} " if parameter else ""
        raise FileExistsError(f"{named}{path} exists and is not {owner}; refusing to overwrite it "
                              f"(choose another path)")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def json_field(path, key):
    """``key`` of the JSON object in ``path``; None when the file is unreadable, not JSON or lacks it."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data.get(key) if isinstance(data, dict) else None


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file in its folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                     delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, path)
    return path


def check_producer(path, producer, parameter="--json"):
    """``check_writable`` for files that name their ``producer`` (the command that wrote them)."""
    return check_writable(path, lambda existing: json_field(existing, "producer") == producer,
                          f"a file written by {producer}", parameter)


def write_produced_json(path, payload, producer, parameter="--json"):
    """Write ``payload`` with its ``producer`` to ``path``, never over another command's file."""
    check_producer(path, producer, parameter)
    return write_atomically(path, json.dumps({**payload, "producer": producer}, indent=1))


def read_records(path, schema, error, what):
    """The JSON lines of an append-only file, oldest first, as ``(line number, record)``; [] without
    the file. A line that is not JSON, or not a dict of ``schema``, raises ``error`` naming the file,
    the line and ``what`` it should be."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as problem:
            raise error(f"{path}:{number}: not JSON ({problem.msg})") from None
        if not isinstance(record, dict) or record.get("schema") != schema:
            raise error(f"{path}:{number}: not {what} of schema {schema}")
        records.append((number, record))
    return records

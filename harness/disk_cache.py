"""The project's cache folder, and slow pure computations kept there by a hash of what they depend on.

``memoized(folder, key, compute)`` returns ``compute()``'s JSON value, stored as ``<key>.json`` in
``folder`` on the first call. The key must hash *everything* the value depends on (inputs' bytes and
the code that computes it: ``content_key``, ``source_digest``), so a stored value is never stale: a
change to any of them is another key. A cache that cannot be read or written is only a miss.
"""

import hashlib
import json
import os
from pathlib import Path

from harness.result_files import write_atomically

FORMAT = 1
KEEP = 32  # stored values a folder keeps (the newest); older ones are removed when one is added


def user_cache_path(variable, name, environ=None):
    """``$variable`` if set, else ``$XDG_CACHE_HOME`` (or ``~/.cache``)/multireplica-harness/``name``."""
    environ = os.environ if environ is None else environ
    if environ.get(variable):
        return Path(environ[variable])
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "multireplica-harness" / name


def content_key(*parts):
    """A hex digest of ``parts`` (str or bytes), each delimited so that no two lists collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def file_bytes(path):
    """The bytes of ``path``; b"" when it does not exist (its absence is part of a key too)."""
    path = Path(path)
    return path.read_bytes() if path.exists() else b""


def source_digest(root, folders):
    """A digest of every ``*.py`` file under ``folders`` (relative to ``root``): names and contents."""
    files = sorted(p for folder in folders for p in (Path(root) / folder).rglob("*.py"))
    return content_key(*(part for p in files for part in (str(p.relative_to(root)), p.read_bytes())))


def memoized(folder, key, compute):
    """The value stored under ``key`` in ``folder``, else ``compute()`` (a JSON value), then stored."""
    path = Path(folder) / f"{key}.json"
    try:
        stored = json.loads(path.read_text())
        if stored.get("format") == FORMAT and stored.get("key") == key:
            return stored["value"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    value = compute()
    try:
        write_atomically(path, json.dumps({"format": FORMAT, "key": key, "value": value}))
        _prune(Path(folder))
    except OSError:
        pass  # an unwritable cache costs time, never the answer
    return json.loads(json.dumps(value))  # what a later call reads back, so every call returns alike


def _is_stored_value(path):
    return len(path.stem) == 64 and all(c in "0123456789abcdef" for c in path.stem)


def _prune(folder):
    """Remove all but the ``KEEP`` newest stored values (only files named as ``memoized`` names them)."""
    stored = [p for p in folder.glob("*.json") if _is_stored_value(p)]
    stored.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for path in stored[KEEP:]:
        path.unlink(missing_ok=True)

"""Commits for timing comparisons: resolve them, export their trees, plant new ones.

Nothing here touches the working tree, the index or HEAD: trees are exported with ``git archive``
into a cache folder, and planted commits are written with a private index file.
"""

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

CACHE = Path(".compare/src")


class CommitError(ValueError):
    """A commit could not be resolved or exported; the message names the parameter."""


def git(repo, *args, input_bytes=None, env=None):
    finished = subprocess.run(["git", "-C", str(repo), *args], input=input_bytes, capture_output=True,
                              env={**os.environ, **(env or {})})
    if finished.returncode != 0:
        raise CommitError(f"git {' '.join(args)} failed: {finished.stderr.decode().strip()}")
    return finished.stdout


def resolve(repo, revision, parameter="revision"):
    """The full hash of ``revision`` (a branch, tag or hash); the error names ``parameter``."""
    if not isinstance(revision, str) or not revision or revision.startswith("-"):
        raise CommitError(f"{parameter}: not a revision: {revision!r}")
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()
    except CommitError:
        raise CommitError(f"{parameter}: {revision!r} is not a commit of {Path(repo).resolve()}") from None


def export(repo, commit, cache=None):
    """The folder holding ``commit``'s tree (exported once, then reused)."""
    cache = (Path(repo) / (cache or CACHE)).resolve()
    folder = cache / commit
    if (folder / ".complete").exists():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{commit[:12]}-", dir=cache))
    with tarfile.open(fileobj=io.BytesIO(git(repo, "archive", commit))) as archive:
        archive.extractall(staging, filter="data")
    (staging / ".complete").write_text(commit + "\n")
    if folder.exists():  # an incomplete earlier export
        shutil.rmtree(folder)
    staging.rename(folder)
    return folder


def plant(repo, base, files, message):
    """A new commit on top of ``base`` whose tree is ``base``'s with ``files`` ({path: text}) written.

    No branch, index or working-tree change: returns the hash (``branch`` it with ``git branch``).
    """
    with tempfile.TemporaryDirectory() as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git(repo, "read-tree", base, env=env)
        for path, text in files.items():
            blob = git(repo, "hash-object", "-w", "--stdin", input_bytes=text.encode()).decode().strip()
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = git(repo, "write-tree", env=env).decode().strip()
    identity = {"GIT_AUTHOR_NAME": "timing-power", "GIT_AUTHOR_EMAIL": "timing-power@localhost",
                "GIT_COMMITTER_NAME": "timing-power", "GIT_COMMITTER_EMAIL": "timing-power@localhost"}
    return git(repo, "commit-tree", tree, "-p", base, "-m", message, env=identity).decode().strip()


def show(repo, commit, path):
    """The text of ``path`` at ``commit``."""
    return git(repo, "show", f"{commit}:{path}").decode()

"""The results branch: asv result files kept on a git branch that is only ever appended to.

Layout of the branch: ``results/<machine>/machine.json`` and ``results/<machine>/<commit>-<env>.json``,
one folder per asv machine, so runners never write the same file. ``results/benchmarks.json`` (asv's
description of the suite, rewritten by every ``asv run``) is not kept: it is not a result.

A night adds files in its own machine's folder and pushes one new commit on top of the fetched tip,
never with ``--force``. Any staged change that is not an added file stops the push.
"""

import subprocess
from pathlib import Path

from reports.errors import ReportInputError
from reports.measurements.asv_results import SKIPPED_FILES, read_json

RESULTS_FOLDER = "results"
MACHINE_FILE = "machine.json"
PUSH_ATTEMPTS = 3
COMMITTER = ("nightly-benchmarks", "nightly-benchmarks@users.noreply.github.com")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


class GitError(ReportInputError):
    """A git command failed; the message holds the command and git's own output."""


class AppendOnlyError(ReportInputError):
    """A night would change or delete a file already on the results branch."""


def git(repo, *args, check=True):
    """Run ``git -C repo args``; return its stdout (stripped). GitError when it fails and ``check``."""
    finished = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if check and finished.returncode != 0:
        raise GitError(f"git {' '.join(args)} (in {repo}) failed with exit {finished.returncode}:\n"
                       f"{finished.stdout}{finished.stderr}")
    return finished.stdout.strip()


def remote_branch_tip(repo, remote, branch):
    """The commit of ``branch`` on ``remote``, None when the remote has no such branch."""
    finished = subprocess.run(["git", "-C", str(repo), "ls-remote", "--exit-code", "--heads", remote,
                               f"refs/heads/{branch}"], capture_output=True, text=True)
    if finished.returncode == 2:  # the remote answered: no such branch
        return None
    if finished.returncode != 0:
        raise GitError(f"cannot reach remote {remote!r} from {repo}: {finished.stderr.strip()}")
    return finished.stdout.split()[0]


def fetch(repo, remote, branch):
    """Fetch ``branch`` of ``remote`` into ``refs/remotes/<remote>/<branch>``; return its commit."""
    git(repo, "fetch", "--quiet", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    return git(repo, "rev-parse", f"refs/remotes/{remote}/{branch}")


def machine_folder(results_dir, machine):
    return Path(results_dir) / machine


def measured_commits(results_dir, machine):
    """The full hashes of the commits with a results file in ``machine``'s folder."""
    folder = machine_folder(results_dir, machine)
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    commits = set()
    for path in paths:
        if path.name not in SKIPPED_FILES:
            commit = read_json(path).get("commit_hash")
            if not commit:
                raise ReportInputError(f"corrupt results file {path}: no commit_hash")
            commits.add(commit)
    return commits


class ResultsBranch:
    """A work tree of the results branch (or of a new, empty orphan history) that nights append to."""

    def __init__(self, repo, remote, branch, path, base):
        self.repo, self.remote, self.branch, self.path = Path(repo), remote, branch, Path(path)
        self.base = base  # the branch tip this work tree starts from; None: the branch does not exist

    @classmethod
    def open(cls, repo, remote, branch, path, progress=print):
        """Fetch ``branch`` into a work tree at ``path``, or start an empty one when the remote has none."""
        path = Path(path)
        remove_worktree(repo, path)
        tip = remote_branch_tip(repo, remote, branch)
        if tip is None:
            progress(f"{remote} has no branch {branch!r}: starting it (an orphan history)")
            git(repo, "worktree", "add", "--quiet", "--detach", "--no-checkout", str(path))
            git(path, "read-tree", "--empty")
        else:
            tip = fetch(repo, remote, branch)
            progress(f"results branch {branch!r} of {remote} at {tip[:12]}")
            git(repo, "worktree", "add", "--quiet", "--detach", str(path), tip)
        (path / RESULTS_FOLDER).mkdir(exist_ok=True)
        return cls(repo, remote, branch, path, tip)

    @property
    def results_dir(self):
        return self.path / RESULTS_FOLDER

    def append(self, machine, message, progress=print):
        """Commit the new files of ``machine``'s folder on top of the branch and push them (no force).

        Returns the new commit, or None when there is nothing new. When another runner pushed in the
        meantime, the files are added on top of its commit instead. AppendOnlyError when a file
        already on the branch would change or disappear; GitError when the push keeps failing.
        """
        folder = f"{RESULTS_FOLDER}/{machine}"
        self._keep_first_machine_file(folder, progress)
        for _ in range(PUSH_ATTEMPTS):
            commit = self._commit(folder, message)
            if commit is None:
                return None
            pushed = subprocess.run(["git", "-C", str(self.path), "push", "--quiet", self.remote,
                                     f"{commit}:refs/heads/{self.branch}"], capture_output=True, text=True)
            if pushed.returncode == 0:
                git(self.path, "reset", "--quiet", "--soft", commit)
                self.base = commit
                progress(f"appended {commit[:12]} to {self.branch!r} on {self.remote}")
                return commit
            tip = remote_branch_tip(self.repo, self.remote, self.branch)
            if tip is None or tip == self.base:  # the remote did not move: a real failure
                raise GitError(f"push to {self.remote} {self.branch!r} refused:\n{pushed.stderr}")
            progress(f"{self.branch!r} moved on {self.remote} (another runner): appending on top of it")
            self.base = fetch(self.repo, self.remote, self.branch)
            git(self.path, "checkout", "--quiet", self.base, "--", RESULTS_FOLDER)
        raise GitError(f"could not push to {self.remote} {self.branch!r} in {PUSH_ATTEMPTS} attempts")

    def _commit(self, folder, message):
        """A commit of the branch tip plus the new files of ``folder`` (None if there are none)."""
        base_tree = self.base or EMPTY_TREE
        git(self.path, "read-tree", *([self.base] if self.base else ["--empty"]))
        if (self.path / folder).is_dir():
            git(self.path, "add", "--", folder)
        staged = git(self.path, "diff", "--cached", "--no-renames", "--name-status", base_tree)
        changes = [line.split("\t", 1) for line in staged.splitlines()]
        if not changes:
            return None
        changed = [f"{status} {name}" for status, name in changes if status != "A"]
        if changed:
            raise AppendOnlyError(f"refusing to change files already on {self.branch!r} "
                                  f"(results are only appended): {', '.join(changed)}")
        tree = git(self.path, "write-tree")
        parents = ["-p", self.base] if self.base else []
        name, email = COMMITTER
        return git(self.path, "-c", f"user.name={name}", "-c", f"user.email={email}",
                   "commit-tree", tree, *parents, "-m", message)

    def _keep_first_machine_file(self, folder, progress):
        """asv rewrites machine.json every run; the copy already on the branch is kept."""
        relative = f"{folder}/{MACHINE_FILE}"
        if self.base is None or not git(self.path, "ls-tree", "--name-only", self.base, relative):
            return
        differs = subprocess.run(["git", "-C", str(self.path), "diff", "--quiet", self.base, "--", relative])
        if differs.returncode != 0:
            progress(f"{relative} differs from the branch's copy: keeping the branch's (first) one")
            git(self.path, "checkout", "--quiet", self.base, "--", relative)


def add_worktree(repo, path, commit):
    """A detached work tree of ``commit`` at ``path`` (replacing a stale one left there)."""
    remove_worktree(repo, path)
    git(repo, "worktree", "add", "--quiet", "--detach", str(path), commit)
    return Path(path)


def remove_worktree(repo, path):
    """Remove the work tree at ``path`` if git knows one there; forget work trees whose folder is gone."""
    path = Path(path)
    if path.exists():
        git(repo, "worktree", "remove", "--force", str(path), check=False)
    git(repo, "worktree", "prune")
    if path.exists():
        raise GitError(f"{path} exists and is not a work tree of {repo}: move it away (nothing is deleted)")

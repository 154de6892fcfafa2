"""Choosing among equivalent computations by measuring them on the device at hand, once per machine.

``autotune(key, prior, build_steps)`` answers which candidate to use for ``key`` (a dict naming
everything that decides the answer: backend and versions, device, shapes). On a miss it builds every
candidate's step (``build_steps()`` -> ``{name: callable}``), warms each, times them in interleaved
blocks (a random order in every block, so drift and load hit all alike) and keeps ``prior`` unless
the project's timing rule (``harness.timing_rule``) says the prior is slower than a candidate: the
99 % interval of prior / candidate excludes 1 and the ratio is at least ``MIN_EFFECT``. So noise
cannot switch the choice; a real, margin-sized difference does. The answer, with its measurements and
its cost in seconds, is kept in memory and in a JSON cache file (``MRH_TUNING_CACHE``, by default
``$XDG_CACHE_HOME/multireplica-harness/tuning.json``) shared by every process on the machine.
"""

import contextlib
import datetime
import hashlib
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

from harness.device import timed
from harness.disk_cache import user_cache_path
from harness.result_files import write_atomically
from harness.timing_rule import MIN_EFFECT, SLOWER, judge_paired

CACHE_VARIABLE = "MRH_TUNING_CACHE"
CACHE_FORMAT = 1
BLOCKS = 12  # interleaved blocks a round; the timing rule needs at least MIN_UNITS (10) paired blocks
MAX_ROUNDS = 4  # more rounds only while a candidate's comparison with the prior is undecided
BLOCK_SECONDS = 0.05  # about how long one candidate runs in a block
WARM_CALLS = 2

_memory = {}  # key string -> entry, for this process


class TuningCacheError(ValueError):
    """The tuning cache file cannot be read as one; it is left untouched."""


def cache_path(environ=None):
    """``MRH_TUNING_CACHE``, else ``$XDG_CACHE_HOME`` (or ``~/.cache``)/multireplica-harness/tuning.json."""
    return user_cache_path(CACHE_VARIABLE, "tuning.json", environ)


def key_string(key):
    """A short stable name for a key dict (its entry also stores the dict itself)."""
    return hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]


def read_cache(path=None):
    """``{key string: entry}`` of the cache file; {} when there is none. TuningCacheError (naming the
    file and ``MRH_TUNING_CACHE``) when the file is not a tuning cache: it is never overwritten."""
    path = Path(path or cache_path())
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        if data.get("format") != CACHE_FORMAT or not isinstance(data.get("entries"), dict):
            raise ValueError(f"not a tuning cache of format {CACHE_FORMAT}")
    except (ValueError, AttributeError, OSError) as error:
        raise TuningCacheError(f"{path} (the tuning cache, {CACHE_VARIABLE}) cannot be read: {error}; "
                               f"move it away or point {CACHE_VARIABLE} elsewhere") from None
    return data["entries"]


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock beside ``path`` (processes tuning at once merge their entries)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(path.suffix + ".lock"), "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # no fcntl (Windows): last writer wins, entries are only ever added
            pass
        yield


def store(key, entry, path=None):
    """Add ``entry`` under ``key`` to the cache file (read, merged and replaced atomically)."""
    path = Path(path or cache_path())
    with _locked(path):
        entries = read_cache(path)
        entries[key_string(key)] = entry
        write_atomically(path, json.dumps({"format": CACHE_FORMAT, "entries": entries}, indent=1))


def forget_memory():
    """Drop this process's in-memory answers (the file stays)."""
    _memory.clear()


def interleaved_blocks(steps, blocks=BLOCKS, block_seconds=BLOCK_SECONDS, order_rng=None, samples=None):
    """``{name: [median seconds of each block]}`` (extending ``samples``): every block times each step
    a few times, the steps in a fresh random order per block; calls per block sized from one call."""
    order_rng = order_rng or random.Random(0)
    calls = {name: max(1, min(20, math.ceil(block_seconds / max(timed(step)[0], 1e-6))))
             for name, step in steps.items()}
    samples = samples if samples is not None else {name: [] for name in steps}
    for _ in range(blocks):
        for name in order_rng.sample(list(steps), len(steps)):
            samples[name].append(statistics.median(timed(steps[name])[0] for _ in range(calls[name])))
    return samples


def decided(comparisons, min_effect=MIN_EFFECT):
    """True when no comparison is undecided: each candidate either beats the prior by the rule, or its
    interval rules out a margin-sized win (prior / candidate below ``min_effect`` at the upper end)."""
    return all(c["verdict_for_prior"] == SLOWER or (c["high"] is not None and c["high"] < min_effect)
               for c in comparisons.values())


def choose(prior, samples, min_effect=MIN_EFFECT):
    """``(choice, comparisons)``: the prior, unless the timing rule finds it slower than some
    candidate (then the fastest such candidate). ``comparisons[name]`` is prior / name's ratio, its
    interval and the rule's verdict for the prior."""
    comparisons, faster = {}, {}
    for name, seconds in samples.items():
        if name == prior:
            continue
        log_ratios = [math.log(p / s) for p, s in zip(samples[prior], seconds, strict=True)]
        verdict = judge_paired(log_ratios, min_effect=min_effect)
        comparisons[name] = {"prior_over_candidate": verdict.ratio, "low": verdict.low, "high": verdict.high,
                             "verdict_for_prior": verdict.verdict}
        if verdict.verdict == SLOWER:
            faster[name] = verdict.ratio
    return (max(faster, key=faster.get) if faster else prior), comparisons


def autotune(key, prior, build_steps, label="", path=None, report=None):
    """The chosen candidate name for ``key``: from memory, the cache file, or measured now."""
    name = key_string(key)
    if name in _memory:
        return _memory[name]["choice"]
    path = Path(path or cache_path())
    entry = read_cache(path).get(name)
    if entry is None:
        entry = measure(key, prior, build_steps)
        store(key, entry, path)
        (report or _report)(f"tuned {label or name}: {entry['choice']} (prior {prior}) in "
                            f"{entry['seconds']:.1f} s, kept in {path}")
    _memory[name] = entry
    return entry["choice"]


def measure(key, prior, build_steps):
    """A cache entry: the choice for ``key``, the block medians behind it and the cost in seconds."""
    start = time.perf_counter()
    steps = build_steps()
    if not steps:
        raise ValueError("no candidate computes correctly here: nothing to choose from")
    if prior not in steps:  # dropped by the caller (it computes wrongly here): another baseline
        prior = next(iter(steps))
    for step in steps.values():
        for _ in range(WARM_CALLS):
            timed(step)
    order_rng, samples = random.Random(0), None
    for _ in range(MAX_ROUNDS):
        samples = interleaved_blocks(steps, order_rng=order_rng, samples=samples)
        choice, comparisons = choose(prior, samples)
        if decided(comparisons):
            break
    return {"key": key, "choice": choice, "prior": prior,
            "median_seconds": {n: statistics.median(s) for n, s in samples.items()},
            "comparisons": comparisons, "blocks": len(samples[prior]),
            "seconds": time.perf_counter() - start,
            "measured": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _report(message):
    print(f"[autotune] {message}", file=sys.stderr, flush=True)

"""Find failed benchmarks in asv result files: ``asv run`` exits 0 even when a benchmark errors.

asv stores ``null`` for a failed benchmark (or failed parameter combination) and NaN for a skipped
one, so only ``null`` counts as a failure. ``python -m benchmarks.ci_results FILE...`` exits 1 and
names the failures.
"""

import json
import sys


def failed_benchmarks(results):
    """Names (with parameters) of the failed entries of one parsed asv results file."""
    columns = results["result_columns"]
    failed = []
    for name, row in results["results"].items():
        entry = dict(zip(columns, row, strict=False))
        values = entry["result"]
        if values is None or not isinstance(values, list):
            failed.append(name)
            continue
        combinations = _combinations(entry.get("params") or [])
        failed += [
            f"{name}{combinations[index] if index < len(combinations) else ''}"
            for index, value in enumerate(values)
            if value is None
        ]
    return failed


def _combinations(params):
    """The parameter combinations in asv's order (the last parameter varies fastest)."""
    combinations = [""]
    for values in params:
        combinations = [f"{prefix}({value})" for prefix in combinations for value in values]
    return combinations


def main(paths):
    if not paths:
        print("usage: python -m benchmarks.ci_results RESULT.json...", file=sys.stderr)
        return 2
    failures = []
    for path in paths:
        with open(path) as handle:
            failures += failed_benchmarks(json.load(handle))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print(f"{len(paths)} result file(s), {len(failures)} failed benchmark(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

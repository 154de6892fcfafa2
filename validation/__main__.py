"""Validate a fused implementation against the per-replica reference.

    python -m validation [--quick | --full] [--backend NAME] [--candidate IMPL] [--json PATH]
    python -m validation --power [--power-runs N]
    python -m validation --fit [--quick | --full] [--candidate IMPL] [--fit-dropout RATE]
                         [--fit-clipnorm C|nnpdf|none]
    python -m validation --fit-power [--fit-power-runs N]

Exit status: 0 when every check passes, 1 when any fails, 2 on bad usage.
"""

import argparse
import os
import sys
from pathlib import Path

RESULTS = Path("results/validation")
BACKENDS = ("tensorflow", "jax", "torch")


def parser():
    p = argparse.ArgumentParser(prog="python -m validation", description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", const="quick", dest="mode",
                      help="small sizes, 200 training steps (default; about a minute on 2 CPU cores)")
    mode.add_argument("--full", action="store_const", const="full", dest="mode",
                      help="R = 100 statistics, 2000 training steps on the full 1500-point grid")
    mode.add_argument("--power", action="store_true",
                      help="measure false-alarm and detection rates instead of validating")
    p.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND)")
    p.add_argument("--candidate", default="multidense",
                   help="registry name or importable module providing build_network, "
                        "get_replica_weights, set_replica_weights (and optionally make_optimizer)")
    p.add_argument("--json", type=Path, default=None,
                   help=f"result file (default {RESULTS / 'validation.json'}, or power.json with --power)")
    p.add_argument("--seed", type=int, default=0, help="run seed of the draws (default 0)")
    p.add_argument("--power-runs", type=int, default=200, help="seeds per power row (default 200)")
    p.add_argument("--power-workers", type=int, default=None, help="processes for --power (default 2)")
    fit = p.add_argument_group("fit level (see docs/validation.md)")
    fit.add_argument("--fit", action="store_true",
                     help="whole fits compared as ensembles (default: the size chosen by power, "
                          "validation.fit.size; --quick: CI's size; --full: R = 100, 1500-point grid); "
                          "writes results/validation/fit.json")
    fit.add_argument("--fit-power", action="store_true",
                     help="fit-level false alarms and planted-defect detection; writes fit_power.json")
    fit.add_argument("--fit-dropout", type=float, default=None,
                     help="dropout rate of the independent-seeds design (default 0.2)")
    fit.add_argument("--fit-clipnorm", default=None,
                     help="clipnorm of every fit: a number, 'nnpdf' for NNPDF4.0's 6e-6, or 'none' "
                          "(default: the mode's; nnpdf except in --quick)")
    fit.add_argument("--fit-power-runs", type=int, default=300,
                     help="repetitions of the null rows of --fit-power (default 300)")
    fit.add_argument("--fit-defect-runs", type=int, default=None,
                     help="repetitions of the planted-defect rows (default a fifth of --fit-power-runs)")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    if args.power_runs < 1:
        p.error(f"--power-runs must be >= 1, got {args.power_runs}")
    if args.seed < 0:
        p.error(f"--seed must be >= 0, got {args.seed}")
    _select_backend(p, args.backend)
    if args.fit or args.fit_power:
        from validation.fit.cli import fit_main

        return fit_main(p, args)
    try:
        return _power(args) if args.power else _validate(p, args)
    except FileExistsError as error:
        p.error(f"--json: {error}")


def _select_backend(p, backend):
    if backend is None:
        return
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != backend:
            p.error(f"--backend {backend}: Keras is already loaded with {keras.backend.backend()}")
        return
    os.environ["KERAS_BACKEND"] = backend


def _validate(p, args):
    from validation.candidates import require_candidate
    from validation.results import check_writable, summary_line, verdict_table, write_json
    from validation.settings import MODES
    from validation.steps.suite import run_suite

    path = args.json or RESULTS / "validation.json"
    require_candidate(p, args.candidate)
    check_writable(path)
    settings = MODES[args.mode or "quick"]
    print(f"validating {args.candidate} against the reference ({settings.mode} mode)")
    payload, results = run_suite(args.candidate, settings, args.seed)
    print(verdict_table(results))
    write_json(path, payload)
    print(summary_line(payload, results, path))
    return 0 if payload["passed"] else 1


def _power(args):
    from validation.results import TEXT_HEADER, check_writable, write_json, write_text
    from validation.steps.power import measure, text_table

    path = args.json or RESULTS / "power.json"
    text_path = path.with_suffix(".txt")
    check_writable(path)
    check_writable(text_path, TEXT_HEADER)
    print(f"power: {args.power_runs} seeds per row")
    payload = measure(args.power_runs, args.power_workers)
    table = text_table(payload)
    print(table)
    write_json(path, payload)
    write_text(text_path, table)
    missed = [row for row in payload["rows"] if not row["met"]]
    print(f"{len(payload['rows']) - len(missed)}/{len(payload['rows'])} goals met in "
          f"{payload['seconds']:.0f} s; wrote {path} and {text_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

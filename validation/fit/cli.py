"""The ``--fit`` and ``--fit-power`` modes of ``python -m validation`` (exit 0 pass, 1 fail, 2 bad usage)."""

import dataclasses
from pathlib import Path

from harness.nnpdf import NNPDF_CLIPNORM

RESULTS = Path("results/validation")


def fit_settings(p, args):
    """The mode's FitSettings with the command line's dropout and clipnorm; usage errors exit 2."""
    from validation.settings import FIT_MODES

    if args.fit and args.fit_power:
        p.error("--fit and --fit-power: choose one")
    if args.power:
        p.error("--power and --fit/--fit-power: choose one")
    if args.fit_power and args.mode:
        p.error(f"--{args.mode}: --fit-power runs at its own reduced size (see docs/validation.md)")
    settings = FIT_MODES["power" if args.fit_power else args.mode or "standard"]
    changes = {}
    if args.fit_dropout is not None:
        if not 0.0 <= args.fit_dropout < 1.0:
            p.error(f"--fit-dropout must lie in [0, 1), got {args.fit_dropout}")
        changes["dropout_rate"] = args.fit_dropout
    if args.fit_clipnorm is not None:
        changes["clipnorm"] = _clipnorm(p, args.fit_clipnorm)
    if args.fit_power_runs < 1:
        p.error(f"--fit-power-runs must be >= 1, got {args.fit_power_runs}")
    if args.fit_defect_runs is not None and not 1 <= args.fit_defect_runs <= args.fit_power_runs:
        p.error(f"--fit-defect-runs must lie in [1, --fit-power-runs], got {args.fit_defect_runs}")
    return dataclasses.replace(settings, **changes)


def _clipnorm(p, text):
    if text.lower() == "nnpdf":
        return NNPDF_CLIPNORM
    if text.lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        p.error(f"--fit-clipnorm must be a number > 0, 'nnpdf' or 'none', got {text!r}")
    return value


def fit_main(p, args):
    settings = fit_settings(p, args)
    try:
        return _fit_power(args, settings) if args.fit_power else _fit(p, args, settings)
    except FileExistsError as error:
        p.error(f"--json: {error}")


def _fit(p, args, settings):
    from validation.candidates import require_candidate
    from validation.fit.run import FIT_SCHEMA, check_result_path, run_fit_validation, write_result
    from validation.results import summary_line, verdict_table

    path = args.json or RESULTS / "fit.json"
    require_candidate(p, args.candidate)
    check_result_path(path, FIT_SCHEMA)
    print(f"fit-level validation of {args.candidate} against the reference ({settings.mode} mode: "
          f"R = {settings.replicas}, {settings.points}-point grid, <= {settings.max_steps} steps, patience "
          f"{settings.patience}, dropout {settings.dropout_rate} (independent design), clipnorm "
          f"{settings.clipnorm})")
    payload, results = run_fit_validation(args.candidate, settings, args.seed)
    print(verdict_table(results))
    for result in results:
        for key, value in result.details.items():
            if key.startswith("max_"):
                print(f"  {result.name}: {key} = {value:.3g} (validphys: ~10 is not statistical)")
    verdict = "no detectable difference" if payload["passed"] else "a difference was detected"
    print(f"fit verdict: {verdict} ({payload['power']['text']})")
    write_result(path, payload)
    print(summary_line(payload, results, path, "fit checks"))
    return 0 if payload["passed"] else 1


def _fit_power(args, settings):
    from validation.fit.power import FIT_POWER_SCHEMA, measure, text_table
    from validation.fit.run import check_result_path, write_result
    from validation.results import check_writable, write_text

    path = args.json or RESULTS / "fit_power.json"
    text_path = path.with_suffix(".txt")
    check_result_path(path, FIT_POWER_SCHEMA)
    from validation.results import TEXT_HEADER

    check_writable(text_path, TEXT_HEADER)
    print(f"fit power: {args.fit_power_runs} repetitions per row, R = {settings.replicas}, "
          f"{settings.points}-point grid, <= {settings.max_steps} steps")
    payload = measure(settings, args.fit_power_runs, args.power_workers, args.fit_defect_runs,
                      first_seed=args.seed)
    table = text_table(payload)
    print(table)
    write_result(path, payload)
    write_text(text_path, table)
    return 0

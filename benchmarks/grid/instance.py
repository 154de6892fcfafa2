"""The offset two warm models of identical code keep for their life, and the A/A table it is fitted on.

A warm cell times one model of each implementation; the offset between two such models is invisible
to the cell's blocks. The grid's A/A cells (``python -m benchmarks.grid.aa``) measure it; every warm
cell's interval is widened by its upper limit.
"""

import json
import math
from pathlib import Path

import numpy as np
from scipy import optimize, stats

from benchmarks.grid import WARM_SUITES
from benchmarks.grid.verdict import standard_error
from harness.proportions import exact_interval

# this machine's A/A table first, else the committed one
AA_TABLES = (Path("results/perf/grid-aa.json"), Path(__file__).resolve().parents[2] / "docs" / "grid-aa.json")


def instance_sd(log_ratios, block_ses, confidence=0.95):
    """``(estimate, upper)``: the sd of the instance offset from A/A cells, log scale.

    Cell i's log ratio of identical code is ``offset_i + noise_i``, offset ~ N(0, tau^2) and noise of
    the known standard error ``block_ses[i]``. ``Q(tau^2) = sum(d_i^2 / (tau^2 + se_i^2))`` is then
    chi-square with n degrees of freedom (the mean is 0: identical code); the estimate solves ``Q = n``,
    the one-sided upper limit ``Q = chi2.ppf(1 - confidence, n)`` (the Q-profile interval); 0 where
    Q(0) is already below."""
    d, se = (np.asarray(values, dtype=float) for values in (log_ratios, block_ses))
    if d.ndim != 1 or d.shape != se.shape or d.size == 0 or not np.all(np.isfinite(d)) or not np.all(se > 0):
        raise ValueError(f"log_ratios and block_ses must be paired and finite, se > 0; got {d.size} log "
                         f"ratios and {se.size} standard errors")

    def q(variance):
        return float(np.sum(d**2 / (variance + se**2)))

    return q_profile_sd(q, d.size, float(np.sum(d**2)), confidence)


def q_profile_sd(q, degrees, spread, confidence=0.95):
    """``(estimate, upper)`` of an sd from ``q(variance)``, a decreasing statistic that is chi-square
    with ``degrees`` at the true variance: the estimate solves ``q = degrees``, the one-sided upper
    limit ``q = chi2.ppf(1 - confidence, degrees)``; 0 where ``q(0)`` is already below. ``spread``: a
    sum of squares with ``q(spread / target) <= target`` for every target (the search's upper end)."""

    def solve(target):
        if q(0.0) <= target:
            return 0.0
        return math.sqrt(optimize.brentq(lambda variance: q(variance) - target, 0.0, spread / target))

    return solve(degrees), solve(stats.chi2.ppf(1 - confidence, degrees))


def instance_sds(cells):
    """Per backend: ``{cells, sd, sd_upper}`` fitted (``instance_sd``) on the warm cells with a verdict."""
    fitted = {}
    for backend in sorted({cell["backend"] for cell in cells}):
        warm = [cell for cell in cells if cell["backend"] == backend and cell["suite"] in WARM_SUITES
                and cell["verdict"] != "n/a"]
        if warm:
            estimate, upper = instance_sd([math.log(cell["ratio"]) for cell in warm],
                                          [block_se(cell) for cell in warm])
            fitted[backend] = {"cells": len(warm), "sd": estimate, "sd_upper": upper}
    return fitted


def block_se(cell):
    """A judged cell's standard error from its blocks alone: recorded, or, in tables written before
    the grid added the instance sd, from its 99 % interval, then the blocks' alone."""
    if cell.get("block_se") is not None:
        return cell["block_se"]
    return standard_error(cell["low"], cell["high"])


def aa_table():
    """``(path, table)`` of the grid's A/A table (``python -m benchmarks.grid.aa``): this machine's,
    else the committed one; ``(None, None)`` when there is none."""
    for path in AA_TABLES:
        if path.exists():
            try:
                table = json.loads(path.read_text())
                table["cells"], table["rates"]  # noqa: B018 - the two keys every reader needs
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"grid A/A table {path}: not written by benchmarks.grid.aa "
                                 f"({error!r})") from None
            return path, table
    return None, None


def table_instance_sd(backend, suite, table=None):
    """The instance sd (its upper limit) a cell of ``suite`` on ``backend`` is widened by: fitted on
    the A/A table's warm cells; 0 for one-shot suites and where the table lacks the backend."""
    table = aa_table()[1] if table is None else table
    if suite not in WARM_SUITES or table is None:
        return 0.0
    fitted = instance_sds(table["cells"]).get(backend)
    return fitted["sd_upper"] if fitted else 0.0


def rates(cells, by="backend"):
    """Per value of the cell field ``by`` (``backend`` or ``replicas``; None: one row of all cells):
    the false alarms (win or LOSS) of identical code over the cells with a verdict, with the exact
    95 % interval."""
    rows = []
    for value in sorted({cell[by] for cell in cells}) if by else ["all"]:
        judged = [cell for cell in cells if (not by or cell[by] == value) and cell["verdict"] != "n/a"]
        flags = sum(cell["verdict"] in ("win", "LOSS") for cell in judged)
        low, high = exact_interval(flags, len(judged)) if judged else (float("nan"), float("nan"))
        rows.append({by or "cells_of": value, "flags": flags, "cells": len(judged),
                     "rate": flags / len(judged) if judged else float("nan"), "low95": low, "high95": high})
    return rows


def judged_widening(cells):
    """The widening (log-scale sd) the judged warm ``cells`` were judged with, as ``"a"`` or ``"a-b"``:
    recorded per cell (tables written before the run-to-run spread: their instance sd)."""
    values = sorted(cell.get("offset_sd", cell.get("instance_sd", 0.0)) for cell in cells
                    if cell["suite"] in WARM_SUITES and cell["verdict"] != "n/a")
    if not values:
        return "none"
    return f"{values[0]:.3f}" if values[-1] - values[0] < 5e-4 else f"{values[0]:.3f}-{values[-1]:.3f}"


def rate_text(row):
    """``"flags/cells cells (rate, 95% interval low-high)"`` of a ``rates`` row."""
    return (f"{row['flags']}/{row['cells']} cells ({row['rate']:.1%}, 95% interval "
            f"{row['low95']:.1%}-{row['high95']:.1%})")


def aa_rate_line(backends):
    """The grid verdict's measured A/A rate (``python -m benchmarks.grid.aa``) on these backends, per
    backend and per R, and the instance sd that widens the warm cells."""
    path, table = aa_table()
    if table is None:
        return ("A/A rate of the verdict: not measured, and warm cells not widened by an instance offset "
                "(python -m benchmarks.grid.aa)")
    cells = [cell for cell in table["cells"] if cell["backend"] in backends]
    fitted = instance_sds(table["cells"])
    parts = [f"{row['backend']} {rate_text(row)}; judged with widening "
             f"{judged_widening([cell for cell in cells if cell['backend'] == row['backend']])}"
             for row in rates(cells)]
    measured = {cell["backend"] for cell in cells}
    if len(measured) > 1:
        parts.append(f"all {len(measured)} together {rate_text(rates(cells, None)[0])}")
    parts += [f"{backend} not measured" for backend in sorted(set(backends) - measured)]
    by_replicas = "; ".join(f"R = {row['replicas']} {rate_text(row)}" for row in rates(cells, "replicas"))
    widened = [f"{backend} {fitted[backend]['sd_upper']:.3f} (estimate {fitted[backend]['sd']:.3f}, "
               f"{fitted[backend]['cells']} cells)" for backend in backends if backend in fitted]
    return (f"A/A rate of the verdict (reference against its copy, {path}): " + "; ".join(parts)
            + (f"\nA/A rate by R over these backends: {by_replicas}" if by_replicas else "")
            + "\nwarm cells' intervals widened by the instance sd, 95% upper limit, log scale: "
            + ("; ".join(widened) or "none measured on these backends"))

"""Figures of the fit-level validation: ensemble bands, distances, chi2 and stopping-step histograms."""

import numpy as np

from reports.page.plots import Figure, _save, plt

SIDES = (("reference", "tab:blue"), ("candidate", "tab:orange"))
CHI2_KINDS = ("central", "training", "validation")
RULE_OF_THUMB = 10.0  # validphys: a distance of order 10 is not statistical


def bands(out_dir, design_name, design):
    """Mean +- 1 sd over replicas per flavour vs x, reference and candidate overlaid."""
    x = np.asarray(design["x"])
    flavours = np.asarray(design["reference"]["mean"]).shape[-1]
    columns = 4
    fig, axes = plt.subplots((flavours + columns - 1) // columns, columns, figsize=(12, 5.5),
                             sharex=True, squeeze=False)
    for flavour, ax in enumerate(axes.flat[:flavours]):
        for side, colour in SIDES:
            mean = np.asarray(design[side]["mean"])[:, flavour]
            sd = np.asarray(design[side]["sd"])[:, flavour]
            ax.fill_between(x, mean - sd, mean + sd, color=colour, alpha=0.3, linewidth=0)
            ax.plot(x, mean, color=colour, linewidth=1, label=side)
        ax.set(xscale="log", title=f"flavour {flavour}")
    axes.flat[0].legend(fontsize="small")
    for ax in axes[-1]:
        ax.set_xlabel("x")
    fig.suptitle(f"{design_name}: ensemble mean ± 1 sd over replicas")
    return _save(fig, out_dir, f"fit-bands-{design_name}", f"Fit ensembles ({design_name} design)",
                 "Network output per flavour on the x-grid at each replica's best-validation weights.")


def distances(out_dir, design_name, design):
    """NNPDF distance and variance distance per flavour vs x."""
    x = np.asarray(design["x"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharex=True)
    for ax, key, label in ((axes[0], "distance", "distance d"),
                           (axes[1], "variance_distance", "variance distance")):
        values = np.asarray(design[key])
        for flavour in range(values.shape[-1]):
            ax.plot(x, values[:, flavour], linewidth=1, label=f"flavour {flavour}")
        ax.axhline(RULE_OF_THUMB, color="k", linestyle="--", linewidth=0.8)
        ax.set(xscale="log", xlabel="x", ylabel=label, title=label)
    axes[0].legend(fontsize="x-small", ncol=2)
    return _save(fig, out_dir, f"fit-distances-{design_name}",
                 f"Distances between the fits ({design_name} design)",
                 "validphys definitions; dashed: d = 10, validphys' rule of thumb for a non-statistical "
                 "difference. The verdicts use permutation tests on the maximum, not this line.")


def chi2_histograms(out_dir, design_name, design):
    fig, axes = plt.subplots(1, len(CHI2_KINDS), figsize=(12, 3.5))
    for ax, kind in zip(axes, CHI2_KINDS, strict=True):
        _histograms(ax, [np.asarray(design[side][f"{kind}_chi2"]) for side, _ in SIDES])
        ax.set(xlabel=f"{kind} chi2 per point", ylabel="replicas")
    axes[0].legend(fontsize="small")
    return _save(fig, out_dir, f"fit-chi2-{design_name}", f"Per-replica chi2 ({design_name} design)",
                 "At each replica's best-validation weights.")


def stopping_histogram(out_dir, design_name, design):
    fig, ax = plt.subplots(figsize=(6, 3.5))
    _histograms(ax, [np.asarray(design[side]["stopping_step"]) for side, _ in SIDES])
    ax.set(xlabel="stopping step (best validation)", ylabel="replicas")
    ax.legend(fontsize="small")
    return _save(fig, out_dir, f"fit-stopping-{design_name}", f"Stopping steps ({design_name} design)",
                 "Each replica's best-validation step.")


def _histograms(ax, samples):
    edges = np.histogram_bin_edges(np.concatenate(samples), bins=15)
    for (side, colour), values in zip(SIDES, samples, strict=True):
        ax.hist(values, bins=edges, histtype="step", color=colour, linewidth=1.5, label=side)


def design_figures(out_dir, design_name, design):
    return [f(out_dir, design_name, design) for f in (bands, distances, chi2_histograms, stopping_histogram)]


__all__ = ["Figure", "design_figures"]

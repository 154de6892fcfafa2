"""Planted defects: fused candidates with one known flaw each.

Each is usable as ``--candidate validation.defects.<name>``.
Each module provides ``build_network``, ``get_replica_weights``, ``set_replica_weights`` and
``make_optimizer``; ``DEFECTS`` names the checks that must catch each (the power table's detection rows).
"""

DEFECTS = {
    "naive_fans": ("initializers.exactness", "initializers.theoretical_law",
                   "initializers.reference_two_sample", "initializers.variance"),
    "consecutive_seeds": ("initializers.exactness", "initializers.independence"),
    "shared_dropout_mask": ("dropout.mask_independence",),
    "clipnorm_coupling": ("training.clipnorm", "isolation.clipnorm"),
    "mixing_einsum": ("equivalence.forward", "equivalence.gradients", "training.no_clipnorm",
                      "isolation.no_clipnorm"),
    "shared_bias": ("equivalence.forward", "equivalence.gradients", "training.no_clipnorm",
                    "isolation.no_clipnorm"),
}


def module_name(defect):
    if defect not in DEFECTS:
        raise ValueError(f"defect: unknown planted defect {defect!r}, one of {sorted(DEFECTS)}")
    return f"{__name__}.{defect}"

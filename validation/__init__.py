"""Statistical equivalence checks of a fused implementation against the per-replica reference.

Three subsystems, one package each, and the modules they share:

- ``validation.steps``: step-level checks (initializers, dropout, forward/gradient equivalence,
  training trajectories, replica isolation) and their power study: ``python -m validation [--power]``;
- ``validation.fit``: whole fits compared as ensembles: ``python -m validation --fit [--fit-power]``;
- ``validation.timing``: timing verdicts (``make compare``, the speedup, the timing power table);
- shared here: ``candidates`` (the module under test, replica seeds), ``results`` (check results,
  result files), ``settings`` (sizes and thresholds of each mode) and ``defects/`` (planted defects).

May import harness, the implementations (multidense_impl, reference_impl, through harness.registry
or directly) and benchmarks; never reports. The three subpackages do not import one another.
"""

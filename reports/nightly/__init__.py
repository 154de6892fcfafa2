"""The nightly GPU job (``python -m reports.nightly``, all that ``.github/workflows/nightly-gpu.yml``
runs): the append-only results branch (``results_branch``), asv on the new commits in their own work
trees (``asv_runs``), the regression gate (``gate``, ``python -m reports.nightly.gate``) and the
night itself (``night``).

May import harness, benchmarks, reports.measurements and reports.errors; validation and the report
page run as programs (``python -m validation.timing.compare``, ``python -m reports``), not imported.
"""

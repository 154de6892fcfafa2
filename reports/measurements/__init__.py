"""asv measurements: where asv keeps its files (``asv_config``), its results files read
(``asv_results``), measurements paired fused vs reference and commit vs commit (``comparison``) and
judged by the project's timing rule (``statistics``, on ``harness.timing_rule``).

May import harness, validation (result vocabularies) and reports.errors; not reports.page or
reports.nightly, which both build on it.
"""

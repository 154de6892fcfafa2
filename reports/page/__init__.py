"""The report page (``python -m reports``): ``build`` writes the offline asv site (``asv_site``,
pointed at ``vendor/``) and ``index.html`` from ``templates/``, with the summary box, plots, the
validation, fit, lowering and perf-grid sections, each read from the result files the other
commands write.

May import harness, validation, reports.measurements and reports.errors; not reports.nightly.
"""

"""Generated HTML performance and validation reports, and the nightly benchmark job.

- ``reports.measurements``: asv's configuration and results files read, measurements paired (fused
  vs reference, commit vs commit) and judged by the timing rule;
- ``reports.page``: the report page and the offline asv site (``python -m reports``);
- ``reports.nightly``: the nightly GPU job and its regression gate (``python -m reports.nightly``);
- shared here: ``errors`` (the report's one error type).

May import harness, benchmarks and validation; nothing imports reports. reports.page and
reports.nightly do not import each other (the nightly runs ``python -m reports`` as a program).
"""

"""Timing verdicts: is a commit slower than another (``python -m validation.timing.compare``, what
``make compare`` runs), is the fused implementation faster than the reference
(``python -m validation.timing.speedup``), and the measured error rates of both
(``python -m validation.timing.power``, per backend; the variance-components model behind its bounds
and the minimum detectable slowdowns is ``variance``). The timing rule itself is ``harness.timing_rule``; the
interleaved worker protocol that times the code is ``benchmarks.interleaved``.

May import harness, benchmarks and validation.results; not validation.steps or validation.fit, nor
reports.
"""

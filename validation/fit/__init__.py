"""Fit-level equivalence: whole fits (early stopping, dropout, clipnorm) of the candidate and the
reference compared as ensembles, closure estimators and replica correlation included
(``python -m validation --fit``), the size chosen by power (``python -m validation.fit.size``), their
power study (``--fit-power``) and the fit loop's overhead (``python -m validation.fit.overhead``).

May import harness, the implementations and validation's shared modules (candidates, results,
settings, defects); not validation.steps or validation.timing, nor benchmarks or reports.
"""

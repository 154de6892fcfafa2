"""Step-level equivalence checks: initializer statistics, dropout masks, forward and gradient
equivalence against a measured float32 noise floor, training trajectories and replica isolation; the
suite that runs them (``python -m validation``) and their false-alarm and detection study (``--power``).

May import harness, the implementations and validation's shared modules (candidates, results,
settings, defects); not validation.fit or validation.timing, nor benchmarks or reports.
"""

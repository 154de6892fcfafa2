"""asv benchmark suites of the fused (MultiDense) and per-replica reference implementations."""

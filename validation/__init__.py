"""Statistical equivalence checks of a fused implementation against the per-replica reference."""

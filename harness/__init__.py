"""Shared core of the harness: argument checks, seeding, the implementation registry, the workload."""

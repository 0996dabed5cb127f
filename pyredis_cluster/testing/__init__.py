"""Controllable clusters for tests: the deterministic simulation (:mod:`.simulation`) and, later, real
process clusters with fault injection."""

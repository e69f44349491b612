"""Tests of the solvers (warmdesk.core.solvers)."""

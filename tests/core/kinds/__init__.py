"""Tests of the problem kinds (warmdesk.core.kinds)."""

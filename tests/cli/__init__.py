"""Tests of the command line (warmdesk/cli*.py)."""

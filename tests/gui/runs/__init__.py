"""Tests of warmdesk/gui/runs/ (the shared tests/gui/conftest.py applies)."""

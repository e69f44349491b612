"""Tests of warmdesk/gui/library/ (the shared tests/gui/conftest.py applies)."""

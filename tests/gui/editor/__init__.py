"""Tests of warmdesk/gui/editor/ (the shared tests/gui/conftest.py applies)."""

"""Tests of warmdesk/gui/plot/ (the shared tests/gui/conftest.py applies)."""

"""Tests of the advisor (warmdesk.core.advisor)."""

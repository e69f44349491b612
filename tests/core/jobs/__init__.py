"""Tests of the job runner (warmdesk.core.jobs)."""

"""Trainer tests use tiny models: one intra-op thread is fastest and avoids contention on a shared machine."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread: None) -> None:
    """Every Trainer test runs under the shared ``one_thread`` fixture of tests/conftest.py."""

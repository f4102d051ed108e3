"""Fixtures of the core tests."""

from __future__ import annotations

import pytest

from carrousel.core.nn.native import native_status


@pytest.fixture
def native() -> None:
    """Skips (with the reason) where the fused C++ loop of the custom cells cannot be built here."""
    ok, reason = native_status()
    if not ok:
        pytest.skip(f"fused C++ loop unavailable: {reason}")

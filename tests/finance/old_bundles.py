"""Bundles as an earlier version of carrousel-finance wrote them (for the tests that new settings load)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from carrousel.core.bundle import Bundle
from carrousel.core.config import to_dict
from carrousel.finance.bundle import ForecasterBundle

__all__ = ["written_without"]


def written_without(bundle: ForecasterBundle, section: str, names: Iterable[str]) -> Bundle:
    """The core bundle of ``bundle`` with the settings ``names`` of config section ``section`` left out, as a
    version before them wrote it (without its ACI states)."""
    doc = to_dict(bundle.config)
    for name in names:
        del doc[section][name]
    core = ForecasterBundle(bundle.fitted, bundle.config, bundle.data, None).to_bundle()
    return replace(core, assets={**core.assets, "config": doc})

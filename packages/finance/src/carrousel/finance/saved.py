"""Saved finance configs read as today's settings: what a bundle written by an older version means.

Each setting added since bundles were first written has a default for new runs that may differ from what an
older bundle was trained with; :func:`saved_config` fills those in from what the older version did.
"""

from __future__ import annotations

from typing import Any

from carrousel.core.config import from_dict
from carrousel.finance.config import FinanceConfig

__all__ = ["saved_config", "single_network_config"]


def single_network_config(doc: Any) -> Any:
    """A saved config as the current settings read it: one written before seed ensembles (no
    ``model.members``) describes a single network, ``members = 1``, not today's default; one written before
    volatility-scaled targets (no ``window.target_scale``) was trained on ``static`` targets, one written
    before volatility-scaled inputs (no ``window.vol_inputs``) on plain inputs, and one written before the
    ``scale`` calibration (no ``backtest.calibration``) with split-conformal ``offsets``, and one written before
    the GARCH combination (no ``backtest.garch_weight``) forecasts with the network alone (``0``)."""
    if not isinstance(doc, dict):
        return doc
    model, window = doc.get("model"), doc.get("window")
    if isinstance(model, dict) and "members" not in model:
        doc = {**doc, "model": {**model, "members": 1}}
    if isinstance(window, dict) and "target_scale" not in window:
        window = {**window, "target_scale": "static"}
    if isinstance(window, dict) and "vol_inputs" not in window:
        window = {**window, "vol_inputs": False}
    if isinstance(bt := doc.get("backtest"), dict):  # before the "scale" calibration / the GARCH combination
        doc = {**doc, "backtest": {"calibration": "offsets", "garch_weight": 0.0, **bt}}
    if isinstance(window, dict):
        doc = {**doc, "window": window}
    return doc


def saved_config(doc: Any) -> FinanceConfig:
    """The saved config (:func:`single_network_config`); one written before the global model's own
    defaults (no ``window.global_target_scale`` / ``global_vol_inputs``, no ``backtest.calibration_share`` /
    ``global_calibration_share``) takes them from the settings it was trained with (the calibration on all
    validation windows: share 1), so reusing it, alone or global, asks for nothing else."""
    doc = single_network_config(doc)
    if isinstance(doc, dict) and isinstance(bt := doc.get("backtest"), dict):
        share = bt.get("calibration_share", 1.0)
        doc = {**doc, "backtest": {"calibration_share": share, "global_calibration_share": share, **bt}}
    window = doc.get("window") if isinstance(doc, dict) else None
    if isinstance(window, dict):
        own = {
            "global_target_scale": window.get("target_scale"),
            "global_vol_inputs": window.get("vol_inputs"),
        }
        doc = {**doc, "window": own | window}
    return from_dict(FinanceConfig, doc)

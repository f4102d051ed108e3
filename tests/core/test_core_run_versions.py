"""Every run record says which software wrote it: a bundle's ``bundle.json`` holds ``versions`` (Python,
torch, numpy) beside ``carrousel_version``, written in one place (:mod:`carrousel.core.provenance`)."""

from __future__ import annotations

import json
import platform
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from carrousel.core.bundle import BUNDLE_FILE, Bundle, load_bundle
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig
from carrousel.core.provenance import carrousel_version, run_provenance, software_versions

INSTALLED = {"python": platform.python_version(), "torch": version("torch"), "numpy": version("numpy")}


def test_software_versions_are_the_installed_ones() -> None:
    assert software_versions() == INSTALLED
    assert torch.__version__.startswith(INSTALLED["torch"].split("+")[0])
    assert np.__version__ == INSTALLED["numpy"]
    assert run_provenance() == {"carrousel_version": carrousel_version(), "versions": INSTALLED}
    assert software_versions({"versions": {"torch": "2.0"}}) == {"torch": "2.0"}  # read back
    assert software_versions({}) == software_versions({"versions": "x"}) == {}  # none recorded


def test_a_bundle_records_the_versions_and_keeps_them_on_load(tmp_path: Path) -> None:
    """Fails on main: bundle.json held carrousel_version alone (no Python, torch or numpy version), so a
    user could not rebuild the environment that trained a model."""
    model = SequenceRegressor(SequenceRegressorConfig(RecurrentConfig(3, 4), out_features=1))
    folder = Bundle(kind="test.regressor", model=model).save(tmp_path / "m")
    doc = json.loads((folder / BUNDLE_FILE).read_text())
    assert doc["versions"] == INSTALLED and doc["carrousel_version"] == carrousel_version()
    assert load_bundle(folder).versions == INSTALLED
    # a bundle written elsewhere keeps its writer's versions when loaded and saved again
    doc["versions"] = {"python": "3.11.0", "torch": "2.1.0", "numpy": "1.26.0"}
    (folder / BUNDLE_FILE).write_text(json.dumps(doc))
    again = load_bundle(folder)
    assert again.versions == doc["versions"]
    resaved = json.loads((again.save(tmp_path / "m2") / BUNDLE_FILE).read_text())
    assert resaved["versions"] == doc["versions"]
    # saved before the versions were recorded: loads, with none
    del doc["versions"]
    (folder / BUNDLE_FILE).write_text(json.dumps(doc))
    assert load_bundle(folder).versions == {}

"""A bio bundle records the one-hot base order its network reads (``assets.one_hot_bases``, ``"ACGT"``), which
the README told readers without carrousel but bundle.json did not; a bundle recording another order is
refused, and one saved before the order was recorded (no ``one_hot_bases``: read as ``"ACGT"``) still
loads. The packaged panel was such a bundle, right only by that default: its bundle.json now states it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from carrousel.bio.bundle import to_bundle
from carrousel.bio.dna import ALPHABET
from carrousel.bio.pipeline import default_model_path, load_model
from carrousel.core.errors import BundleError

BASES_ASSET = "one_hot_bases"  # bundle.json's assets key (a string here: the test runs on main too)


def _panel_with(tmp_path: Path, bases: str | None) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(default_model_path(), folder)
    doc = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    doc["assets"].pop(BASES_ASSET, None)
    if bases is not None:
        doc["assets"][BASES_ASSET] = bases
    (folder / "bundle.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def test_a_saved_bundle_records_the_base_order(tmp_path: Path) -> None:
    model = load_model(_panel_with(tmp_path, None))  # saved before the order was recorded: loads
    saved = to_bundle(model).save(tmp_path / "again")
    doc = json.loads((saved / "bundle.json").read_text(encoding="utf-8"))
    assert doc["assets"][BASES_ASSET] == ALPHABET == "ACGT"
    assert [m.id for m in load_model(saved).motifs] == [m.id for m in model.motifs]


def test_a_bundle_of_another_base_order_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"base order 'TGCA', this carrousel in 'ACGT'"):
        load_model(_panel_with(tmp_path, "TGCA"))
    assert load_model(_panel_with(tmp_path / "same", "ACGT")).model is not None


def test_the_packaged_panel_states_its_base_order() -> None:
    """The shipped panel's bundle.json lacked ``one_hot_bases``: it loaded only because a bundle without it
    is read as ``"ACGT"``, and a reader without carrousel (the README's ONNX recipe) had no order to read.
    ``"ACGT"`` is the order its pinned logits were computed in (tests/bio/test_bio_panel.py)."""
    doc = json.loads((default_model_path() / "bundle.json").read_text(encoding="utf-8"))
    assert doc["assets"][BASES_ASSET] == ALPHABET == "ACGT"
    assert load_model().model is not None  # bundle.json is not in the checksummed files: it still loads

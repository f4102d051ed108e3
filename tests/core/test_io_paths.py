"""save_module / load_module given the wrong kind of path, as a library user meets them: each is one
CarrouselError naming the fix (they were NotADirectoryError / FileExistsError from inside pathlib)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.core import RecurrentConfig, load_module, save_module
from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.errors import BundleError, CheckpointError, OutputError
from carrousel.core.nn import SequenceClassifier, SequenceClassifierConfig


def _model() -> SequenceClassifier:
    return SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 8), num_classes=3))


@pytest.mark.parametrize("name", ["config.json", "model.safetensors"])
def test_load_module_of_a_file_in_the_folder_names_the_folder(tmp_path: Path, name: str) -> None:
    folder = save_module(_model(), tmp_path / "m")
    with pytest.raises(
        CheckpointError, match=rf"is a file, not the folder save_module wrote; give its folder {folder}$"
    ):
        load_module(folder / name)


def test_load_module_of_another_file_asks_for_a_folder(tmp_path: Path) -> None:
    (tmp_path / "weights.pt").write_bytes(b"x")
    with pytest.raises(CheckpointError, match=r"is a file, not the folder save_module wrote; give a folder$"):
        load_module(tmp_path / "weights.pt")


def test_load_module_and_load_bundle_point_to_each_other(tmp_path: Path) -> None:
    model = _model()
    Bundle(kind="sweep.cls", model=model).save(tmp_path / "b")
    with pytest.raises(
        CheckpointError, match=r"it holds bundle\.json: load it with carrousel\.core\.bundle\.load_bundle"
    ):
        load_module(tmp_path / "b")
    save_module(model, tmp_path / "m")
    with pytest.raises(
        BundleError,
        match=r"config\.json: a save_module folder, which load_module reads, or an older carrousel's model",
    ):
        load_bundle(tmp_path / "m")


def test_save_module_onto_a_file_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("keep me")
    with pytest.raises(OutputError, match="exists and is not a folder; give a folder path"):
        save_module(_model(), tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "keep me"

"""``bio discover --model M`` without SEQUENCES reads the filters of a model trained on sequences on plain
E. coli windows: its motifs are its own (``task0_filterF``, read from its filters), nothing to plant. The
choice tested ``motif.source != "model"``, but a loaded model's motifs have its assets file as their
source, so a saved and loaded model's own motif was planted into the windows the filters are read on."""

from __future__ import annotations

from dataclasses import replace

import pytest

import carrousel.bio.data as data
import carrousel.bio.pipeline as pipeline
from carrousel.bio.config import DiscoverConfig
from carrousel.bio.errors import BioError


def test_a_loaded_models_own_motifs_are_not_planted(toy, tmp_path, monkeypatch) -> None:
    model = pipeline.load_model(toy["model"])
    assert model.motifs[0].id.startswith("task0")  # its own, read from its filters
    planted: list[object] = []
    read: list[tuple[int, ...]] = []

    def plant(*args: object, **kwargs: object) -> object:
        planted.append(args)
        raise BioError("planted")

    def stop(_net: object, codes: object, *args: object, **kwargs: object) -> object:
        read.append(codes.shape)  # type: ignore[attr-defined]
        raise BioError("read")

    monkeypatch.setattr(data, "planted_dataset", plant)
    monkeypatch.setattr(pipeline, "find_motifs", stop)
    with pytest.raises(BioError, match="read"):  # before: "planted" (task0_filterF planted in E. coli)
        pipeline.discover(DiscoverConfig(model=str(toy["model"]), collection="CTCF"), tmp_path / "d")
    assert planted == [] and read == [(3000, 60)]  # plain genome windows of the model's width


def test_own_motifs_from_the_record_or_else_the_ids(toy) -> None:
    model = pipeline.load_model(toy["model"])
    assert model.info["motifs_from_filters"] is True
    older = replace(model, info={k: v for k, v in model.info.items() if k != "motifs_from_filters"})
    assert older.own_motifs  # a model saved before the record: task0_filterF IDs
    given = replace(older, motifs=[replace(m, id="MA0139.2") for m in model.motifs])
    assert not given.own_motifs
    assert not pipeline.load_model().own_motifs  # the packaged panel: its JASPAR motifs are planted

"""``SentimentTrainConfig.unk``: what prediction does with ``[UNK]`` ids is a training setting recorded in the
bundle (asset ``unk``, ``drop`` for new models), as ``emoji`` and ``fold`` are; a bundle without the asset
(from before) keeps them; the shipped bundle, whose asset was written by hand before, predicts as it did."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from carrousel.nlp.char_fold import UNK_MODES
from carrousel.nlp.config import (
    FitConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline import SentimentModel, train_sentiment
from carrousel.nlp.pipeline.sentiment import shipped_model_path
from tests.nlp.conftest import write_csv

UNK = 1


def _config(folder: Path, **fields: str) -> SentimentTrainConfig:
    rows = [(f"{w} film", lab) for w, lab in [("a good", "pos"), ("a bad", "neg")] * 20]
    return SentimentTrainConfig(
        TextDataConfig(str(write_csv(folder / "rows.csv", rows))),
        TokenizerConfig(kind="word", vocab_size=60, min_frequency=1),
        SentimentNetConfig(embed_dim=8, hidden_size=8),
        FitConfig(epochs=2, batch_size=8, progress=False),
        **fields,  # type: ignore[arg-type]
    )


def _assets(folder: Path) -> dict[str, object]:
    return dict(json.loads((folder / "bundle.json").read_text(encoding="utf-8"))["assets"])


def test_the_reading_is_a_setting_that_new_models_record(tmp_path: Path) -> None:
    assert SentimentTrainConfig(TextDataConfig("x.csv")).unk == "drop"  # new models: as the shipped one
    assert UNK_MODES == ("keep", "drop")
    train_sentiment(_config(tmp_path), tmp_path / "drop")
    train_sentiment(_config(tmp_path, unk="keep"), tmp_path / "keep")
    assert _assets(tmp_path / "drop")["unk"] == "drop" and _assets(tmp_path / "keep")["unk"] == "keep"
    drop = SentimentModel.from_pretrained(tmp_path / "drop")
    keep = SentimentModel.from_pretrained(tmp_path / "keep")
    assert drop.unk == "drop" and keep.unk == "keep"
    text = "a zzqq good film"  # a word tokenizer: the unseen word is [UNK]
    assert UNK in drop.tokenizer.encode(text)
    # the same weights (same seed and data): drop reads the text as if the word had never been written
    assert np.allclose(drop.predict_proba([text]), drop.predict_proba(["a good film"]), atol=1e-6)
    assert np.allclose(keep.predict_proba(["a good film"]), drop.predict_proba(["a good film"]), atol=1e-6)
    assert not np.allclose(keep.predict_proba([text]), keep.predict_proba(["a good film"]), atol=1e-6)


def test_a_bundle_without_the_asset_keeps_unk(tmp_path: Path) -> None:
    train_sentiment(_config(tmp_path), tmp_path / "new")
    old = tmp_path / "old"
    shutil.copytree(tmp_path / "new", old)
    manifest = json.loads((old / "bundle.json").read_text(encoding="utf-8"))
    manifest["assets"].pop("unk")
    (old / "bundle.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    assert SentimentModel.from_pretrained(old).unk == "keep"
    assert SentimentModel.from_pretrained(tmp_path / "new").unk == "drop"


def test_a_bad_reading_is_refused() -> None:
    with pytest.raises(NLPConfigError, match="unk must be one of keep, drop, not 'skip'"):
        SentimentTrainConfig(TextDataConfig("x.csv"), unk="skip")


def test_the_shipped_model_predicts_as_before() -> None:
    """The shipped bundle is untouched: its probabilities, recorded before ``unk`` became a setting."""
    model = SentimentModel.from_pretrained(shipped_model_path())
    assert model.unk == "drop"
    before = {  # P(positive), measured on the code before this change
        "a gorgeous, moving film": 0.9913246631622314,
        "the movie 😡": 0.1975414901971817,
        "I don’t like it": 0.030744381248950958,
        "a café in Montréal": 0.2726580798625946,
        "the movie λ.": 0.38744643330574036,  # [UNK] dropped
        "not bad at all": 0.9633665680885315,
    }
    p = model.predict_proba(list(before))[:, 1]
    assert np.allclose(p, list(before.values()), rtol=0, atol=1e-6)

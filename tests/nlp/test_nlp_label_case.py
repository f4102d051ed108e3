"""Training labels that differ only in case (``Positive`` and ``positive``): said in one warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from carrousel.nlp.config import FitConfig, SentimentNetConfig, SentimentTrainConfig, TextDataConfig
from carrousel.nlp.pipeline import common, train_sentiment
from tests.nlp.conftest import write_csv


def test_labels_differing_only_in_case_are_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two exports merged, one writing ``Positive``: training made four classes of two, silently (a model
    of labels Negative, Positive, negative, positive, held-out accuracy near chance). Still four classes
    (the data says so), with a warning naming the pairs and the fix."""
    rows = [(f"a good film {i}", "Positive" if i % 2 else "positive") for i in range(12)]
    rows += [(f"a dull film {i}", "Negative" if i % 2 else "negative") for i in range(12)]
    data = write_csv(tmp_path / "merged.csv", rows)
    cfg = SentimentTrainConfig(
        TextDataConfig(str(data)),
        model=SentimentNetConfig(embed_dim=4, hidden_size=4),
        fit=FitConfig(epochs=1, progress=False),
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        result = train_sentiment(cfg, tmp_path / "model")
    assert result.labels == ["Negative", "Positive", "negative", "positive"]
    said = [r.getMessage() for r in caplog.records if "differ only in case" in r.getMessage()]
    assert said == [
        "labels 'Negative' and 'negative'; 'Positive' and 'positive' differ only in case: each is trained as a "
        "class of its own (4 classes); write them alike if they are one class"
    ]


def test_labels_of_one_spelling_say_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        assert common.class_labels(["pos", "neg", "neutral", "pos"]) == ["neg", "neutral", "pos"]
        assert common.class_labels(["-1", "1", "0"]) == ["-1", "0", "1"]
    assert not caplog.records

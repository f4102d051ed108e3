"""Evaluation data labelled pos/neg, 0/1, Positive/Negative, NEG/POS is read as the shipped model's
negative/positive (before: refused, the user had to relabel human-rated sets from other domains), with a
warning naming the map; ``--label-map`` says it for every other vocabulary, and a map that does not fit is
a usage error naming both label sets."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
from carrousel.nlp.errors import LabelMismatchError, NLPConfigError
from carrousel.nlp.label_map import LabelMapError, resolve_labels
from carrousel.nlp.pipeline import evaluate_sentiment
from tests.nlp.conftest import Run

_TEXTS = [
    ("a wonderful, moving film with superb acting", 1),
    ("an absolute delight from start to finish", 1),
    ("dull, lifeless and far too long", 0),
    ("a tedious mess with a terrible script", 0),
]
_MODEL = ("negative", "positive")


def _data(tmp_path: Path, write_rows: Any, neg: str, pos: str) -> Path:
    rows = [(text, pos if good else neg) for text, good in _TEXTS]
    return write_rows(tmp_path / f"{neg}_{pos}.csv", rows)


@pytest.mark.parametrize(
    ("neg", "pos"), [("neg", "pos"), ("0", "1"), ("Negative", "Positive"), ("NEG", "POS"), ("-1", "1")]
)
def test_common_binary_labels_are_read_as_the_shipped_models(
    tmp_path: Path, write_rows: Any, caplog: pytest.LogCaptureFixture, neg: str, pos: str
) -> None:
    data = _data(tmp_path, write_rows, neg, pos)
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.label_map"):
        r = evaluate_sentiment(SentimentEvaluateConfig(None, TextDataConfig(str(data))))
    assert r.label_map == {neg: "negative", pos: "positive"}
    assert r.rows == 4 and sum(map(sum, r.confusion)) == 4
    assert [row[0] + row[1] for row in r.confusion] == [2, 2]  # two true negatives, two true positives
    (line,) = [rec.getMessage() for rec in caplog.records]
    assert (
        f"{neg}=negative" in line and f"{pos}=positive" in line and "label_map" in line
    )  # a Python caller's name for it


def test_the_models_own_labels_need_no_map(tmp_path: Path, write_rows: Any) -> None:
    data = _data(tmp_path, write_rows, "negative", "positive")
    assert evaluate_sentiment(SentimentEvaluateConfig(None, TextDataConfig(str(data)))).label_map is None


@pytest.mark.parametrize(
    ("labels", "model"),
    [
        (["0", "1"], ["bad", "good"]),  # numbers only onto a negative/positive model
        (["0", "1"], ["0", "2"]),
        (["neg", "pos", "maybe"], list(_MODEL)),  # a word beside them that no table reads
        (["pos", "positive"], list(_MODEL)),  # two data labels onto one model label
        (["neg", "pos"], ["bad", "neutral", "good"]),  # not a polarity model
        # (neutral beside them, and neg/pos onto a negative/neutral/positive model: test_nlp_label_grades)
    ],
)
def test_an_ambiguous_reading_is_refused(labels: list[str], model: list[str]) -> None:
    with pytest.raises(LabelMismatchError, match="label_map"):
        resolve_labels(labels, model, "d.csv")


def test_an_explicit_map_reads_any_vocabulary(tmp_path: Path, write_rows: Any) -> None:
    data = _data(tmp_path, write_rows, "thumbs down", "thumbs up")
    cfg = SentimentEvaluateConfig(
        None, TextDataConfig(str(data)), label_map="thumbs up=positive, thumbs down=negative"
    )
    r = evaluate_sentiment(cfg)
    assert r.label_map == {"thumbs down": "negative", "thumbs up": "positive"}
    with pytest.raises(LabelMapError, match=r"maps to 'good', not a model label.*'negative', 'positive'"):
        resolve_labels(["pos"], list(_MODEL), "d.csv", {"pos": "good"})
    with pytest.raises(NLPConfigError, match="not DATA=MODEL"):
        SentimentEvaluateConfig(None, TextDataConfig(str(data)), label_map="pos:positive")


def test_cli_records_the_map_and_a_bad_map_is_a_usage_error(
    tmp_path: Path, write_rows: Any, nlp: Callable[..., Run]
) -> None:
    data = str(_data(tmp_path, write_rows, "0", "1"))
    done = nlp("sentiment", "evaluate", "--data", data, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["label_map"] == {"0": "negative", "1": "positive"}
    assert "0=negative, 1=positive" in done.stderr and "--label-map" in done.stderr
    text = nlp("sentiment", "evaluate", "--data", data, "--label-map", "0=negative,1=positive")
    assert (
        text.returncode == 0 and "labels     data read as the model's: 0=negative,1=positive" in text.stdout
    )
    bad = nlp("sentiment", "evaluate", "--data", data, "--label-map", "0=negative")
    assert bad.returncode == 2, bad.stderr
    assert (
        "leaves '1' unmapped" in bad.stderr
        and "'0', '1'" in bad.stderr
        and "'negative', 'positive'" in bad.stderr
    )
    malformed = nlp("sentiment", "evaluate", "--data", data, "--label-map", "0")
    assert (
        malformed.returncode == 2
        and "--label-map" in malformed.stderr
        and "Traceback" not in malformed.stderr
    )


def test_export_scores_data_of_another_vocabulary_through_label_map(
    tmp_path: Path, write_rows: Any, nlp: Callable[..., Run]
) -> None:
    pytest.importorskip("onnxruntime")
    data = str(_data(tmp_path, write_rows, "thumbs down", "thumbs up"))
    mapped = "thumbs up=positive,thumbs down=negative"
    done = nlp(
        "sentiment", "export", "-o", str(tmp_path / "m"), "--data", data, "--label-map", mapped, "--json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["before"] == report["after"] == 1.0  # four plain reviews, all right
    assert report["extra"]["label_map"] == {"thumbs down": "negative", "thumbs up": "positive"}
    bad = nlp("sentiment", "export", "-o", str(tmp_path / "b"), "--data", data, "--label-map", "x=negative")
    assert bad.returncode == 2 and "'thumbs down', 'thumbs up'" in bad.stderr, bad.stderr
    alone = nlp("sentiment", "export", "-o", str(tmp_path / "c"), "--label-map", mapped)
    assert alone.returncode != 0 and "--label-map is for --data" in alone.stderr, alone.stderr

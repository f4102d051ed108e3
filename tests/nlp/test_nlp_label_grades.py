"""Star-rated and graded evaluation data is read as a negative/positive model's labels (before: refused,
and a --label-map could not say "drop the middle": a map leaving 3 out was a usage error): 1..5 stars,
1..10 ratings, 0..4 SST-5 grades and -1..1 read low = negative, high = positive, the middle dropped with
one warning counting the rows (kept as neutral by a three-class model); ``neutral`` likewise; ``3=-`` and
``1..2=negative`` in --label-map; ambiguous grades and scores refused with the fix. Metrics, the confusion
matrix and its chart count the kept rows only."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp import plots
from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
from carrousel.nlp.errors import LabelMismatchError
from carrousel.nlp.label_map import DROP, LabelMapError, format_label_map, parse_label_map, resolve_labels
from carrousel.nlp.pipeline import evaluate_sentiment
from tests.nlp.conftest import Run

_MODEL = ["negative", "positive"]
_THREE = ["negative", "neutral", "positive"]
_STARS = [  # hand-written product reviews and their stars
    ("A wonderful product, works perfectly and arrived early", "5"),
    ("Absolutely love it; best purchase this year", "5"),
    ("Good value, does what it says", "4"),
    ("It is okay, nothing special", "3"),
    ("Broke after two days, total waste of money", "1"),
    ("Disappointing quality and poor customer service", "2"),
    ("Terrible. Do not buy this", "1"),
    ("Pretty nice, I would recommend it", "4"),
    ("Arrived on time, average build", "3"),
]
_POLARITY = {"1": "negative", "2": "negative", "4": "positive", "5": "positive"}


def _one_warning(caplog: pytest.LogCaptureFixture) -> str:
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    return line


@pytest.mark.parametrize(
    ("grades", "scale", "dropped", "shown"),
    [
        (["1", "2", "3", "4", "5", "3"], "1..5 stars", ["3"], "1..2=negative,3=-,4..5=positive"),
        (["1", "4", "5", "6", "7", "10"], "1..10 ratings", ["5", "6"], "1..4=negative,5..6=-,7..10=positive"),
        (["0", "1", "2", "3", "4"], "0..4 grades (SST-5)", ["2"], "0..1=negative,2=-,3..4=positive"),
        (["-1", "0", "1"], "-1..1 polarity", ["0"], "-1=negative,0=-,1=positive"),
    ],
)
def test_grades_of_a_known_scale_are_read_with_the_middle_dropped(
    caplog: pytest.LogCaptureFixture, grades: list[str], scale: str, dropped: list[str], shown: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.label_map"):
        r = resolve_labels(grades, _MODEL, "d.csv")
    assert r.rule == scale
    assert [g for g, label in zip(grades, r.labels, strict=True) if label is None] == [
        g for g in grades if g in dropped
    ]
    assert r.mapping is not None and {k for k, v in r.mapping.items() if v == "-"} == set(dropped)
    assert all(
        r.labels[i] == ("negative" if int(grades[i]) < int(dropped[0]) else "positive") for i in r.kept()
    )
    line = _one_warning(caplog)
    assert scale in line and shown in line and f"{r.dropped} of {len(grades)} rows" in line


def test_a_three_class_model_keeps_the_middle_and_neutral() -> None:
    stars = resolve_labels(["1", "3", "5", "2"], _THREE, "d.csv")
    assert stars.labels == ["negative", "neutral", "positive", "negative"] and stars.dropped == 0
    words = resolve_labels(["Neutral", "POS", "neg"], _THREE, "d.csv")
    assert words.labels == ["neutral", "positive", "negative"] and words.rule == "words"


def test_neutral_is_dropped_for_a_two_class_model(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.label_map"):
        r = resolve_labels(["negative", "NEUTRAL", "positive", "NEUTRAL"], _MODEL, "d.csv")
    assert r.labels == ["negative", None, "positive", None] and r.mapping == {
        "NEUTRAL": "-", "negative": "negative", "positive": "positive"}  # fmt: skip
    assert "'NEUTRAL' dropped" in (line := _one_warning(caplog)) and "2 of 4 rows" in line
    with pytest.raises(LabelMismatchError, match="every row"):
        resolve_labels(["neutral"], _MODEL, "d.csv")


@pytest.mark.parametrize(
    ("grades", "fixes"),
    [
        (
            ["1", "2"],
            ["as 1..5 stars '1..2=negative,3=-,4..5=positive'", "as two classes '1=negative,2=positive'"],
        ),
        (["2", "3", "4", "5"], ["as 1..5 stars", "as 1..10 ratings"]),  # no 1: 1..5 or 1..10?
        (["1", "2", "3", "4"], ["as 1..5 stars", "as 0..4 grades (SST-5)"]),  # no 5, no 0: stars or SST-5?
        (["0", "1", "2"], ["as 0..4 grades (SST-5)", "as three classes '0=negative,1=-,2=positive'"]),
        (
            ["1", "5"],
            ["as 1..5 stars", "as two classes '1=negative,5=positive'"],
        ),  # two values: no middle seen
        (["3", "12", "40", "41"], ["'VALUE=MODEL,...'"]),  # on no scale, not three values
    ],
)
def test_ambiguous_grades_are_refused_with_each_fitting_map(grades: list[str], fixes: list[str]) -> None:
    with pytest.raises(LabelMismatchError, match="on no scale read without a map") as err:
        resolve_labels(grades, _MODEL, "d.csv")
    assert "give label_map" in str(err.value) and all(fix in str(err.value) for fix in fixes), str(err.value)


@pytest.mark.parametrize("scores", [["0.1", "0.5", "0.9"], ["-0.5", "0", "0.25", "1"], ["1", "2.5", "4"]])
def test_scores_are_never_guessed(scores: list[str]) -> None:
    with pytest.raises(LabelMismatchError, match=r"scores rather than classes.*give label_map"):
        resolve_labels(scores, _MODEL, "d.csv")


def test_label_map_drops_and_maps_ranges() -> None:
    given = parse_label_map("1..2=negative, 3=-, 4..5=positive")
    r = resolve_labels(["5", "3", "1", "4", "2"], _MODEL, "d.csv", given)
    assert r.labels == ["positive", None, "negative", "positive", "negative"] and r.rule == "--label-map"
    assert r.mapping is not None and parse_label_map(format_label_map(r.mapping) or "") == r.mapping
    with pytest.raises(LabelMapError, match=r"leaves '3' unmapped \(map it, or drop its rows: '3=-'\)"):
        resolve_labels(["1", "3", "5"], _MODEL, "d.csv", parse_label_map("1..2=negative,4..5=positive"))
    with pytest.raises(LabelMapError, match="every row"):
        resolve_labels(["3"], _MODEL, "d.csv", {"3": DROP})
    for bad, why in [("1..3=negative,3..5=positive", "overlap"), ("5..1=negative", "backwards"),
                     ("1..5=negative,2=positive", "overlap"), ("3=", "not DATA=MODEL")]:  # fmt: skip
        with pytest.raises(LabelMapError, match=why):
            parse_label_map(bad)


def _write_stars(path: Path, rows: list[tuple[str, str]], sep: str) -> Path:
    lines = ["text" + sep + "stars"] + [f'"{t}"{sep}{s}' if sep == "," else f"{t}{sep}{s}" for t, s in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["stars.csv", "stars.tsv"])
def test_star_file_scores_only_its_kept_rows(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sep = "," if name.endswith(".csv") else "\t"
    stars = _write_stars(tmp_path / name, _STARS, sep)
    kept = [(t, _POLARITY[s]) for t, s in _STARS if s != "3"]  # the same rows, labelled by hand
    words = _write_stars(tmp_path / ("words" + name[-4:]), kept, sep)
    drawn: list[Any] = []
    monkeypatch.setattr(plots, "confusion_png", lambda matrix, *a, **k: drawn.append(matrix))
    r = evaluate_sentiment(SentimentEvaluateConfig(None, TextDataConfig(str(stars), label_col="stars")),
                           tmp_path / "out")  # fmt: skip
    same = evaluate_sentiment(SentimentEvaluateConfig(None, TextDataConfig(str(words), label_col="stars")))
    assert r.rows == 7 and r.dropped == 2 and r.label_rule == "1..5 stars"
    assert sum(map(sum, r.confusion)) == 7 and [sum(row) for row in r.confusion] == [3, 4]
    assert (r.accuracy, r.f1, r.roc_auc, r.confusion) == (
        same.accuracy,
        same.f1,
        same.roc_auc,
        same.confusion,
    )
    assert drawn == [r.confusion]  # the chart draws the kept rows' matrix
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["label_map"] == {
        "1": "negative",
        "2": "negative",
        "3": None,  # dropped (JSON null; before "-", as a model label "-" is written)
        "4": "positive",
        "5": "positive",
    }
    assert metrics["dropped"] == 2 and metrics["rows"] == 7


def test_cli_reads_stars_with_one_warning(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    stars = str(_write_stars(tmp_path / "stars.tsv", _STARS, "\t"))
    done = nlp(
        "sentiment", "evaluate", "--data", stars, "--label-col", "stars", "--json", "-o", str(tmp_path / "o")
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (
        report["dropped"] == 2 and report["label_map"]["3"] is None and report["label_rule"] == "1..5 stars"
    )
    assert done.stderr.count("WARNING") == 1 and "2 of 9 rows" in done.stderr, done.stderr
    assert (tmp_path / "o" / "confusion.png").read_bytes().startswith(b"\x89PNG")
    text = nlp("sentiment", "evaluate", "--data", stars, "--label-col", "stars", "--label-map",
               "1..2=negative,3=-,4..5=positive")  # fmt: skip
    assert text.returncode == 0 and "texts      7 (2 dropped" in text.stdout and "WARNING" not in text.stderr
    two = _write_stars(tmp_path / "two.csv", [(t, s) for t, s in _STARS if s in "12"], ",")
    bad = nlp("sentiment", "evaluate", "--data", str(two), "--label-col", "stars")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "as two classes '1=negative,2=positive'" in bad.stderr and "as 1..5 stars" in bad.stderr


def test_export_warns_once_and_records_the_dropped_rows(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    pytest.importorskip("onnxruntime")
    stars = str(_write_stars(tmp_path / "stars.csv", _STARS, ","))
    done = nlp(
        "sentiment", "export", "-o", str(tmp_path / "m"), "--data", stars, "--label-col", "stars", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("labels read as 1..5 stars") == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["extra"]["dropped"] == 2 and report["extra"]["label_map"]["3"] is None
    assert report["before"] == report["after"]

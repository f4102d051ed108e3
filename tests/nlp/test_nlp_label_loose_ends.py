"""Loose ends of the star-label reading: confusion.png's title names the rows dropped (before: only the kept
count, "7 texts", as if the data held 7); the recorded map writes back as a --label-map that reads the same
labels (before: a data label ``1..2`` beside ``1`` came back as an overlapping range, refused, and one
holding ``,`` or ``=`` had no --label-map at all); a three-class model trained and evaluated through the CLI
on 1..5-star data keeps the 3-star rows as neutral."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp import plots
from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
from carrousel.nlp.label_map import LabelMapError, format_label_map, parse_label_map, resolve_labels
from carrousel.nlp.pipeline import evaluate_sentiment
from tests.nlp.conftest import Run, write_csv
from tests.nlp.test_nlp_label_grades import _STARS

pytest.importorskip("matplotlib")

_MODEL = ["negative", "positive"]


def test_confusion_png_title_names_the_dropped_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stars = write_csv(tmp_path / "stars.csv", _STARS, ("text", "stars"))
    titles: list[str] = []
    draw = plots.confusion_figure

    def spy(*args: Any, **kwargs: Any) -> Any:
        fig = draw(*args, **kwargs)
        titles.append(fig.axes[0].get_title())
        return fig

    monkeypatch.setattr(plots, "confusion_figure", spy)
    r = evaluate_sentiment(SentimentEvaluateConfig(None, TextDataConfig(str(stars), label_col="stars")),
                           tmp_path / "out")  # fmt: skip
    assert r.rows == 7 and r.dropped == 2
    (title,) = titles
    assert title.startswith("confusion matrix: ") and title.endswith(" (7 texts; 2 dropped: labelled 3)"), (
        title
    )
    assert (tmp_path / "out" / "confusion.png").read_bytes().startswith(b"\x89PNG")


def test_confusion_title_counts_each_dropped_label_and_none_when_none() -> None:
    m = [[3, 1], [0, 4]]
    many = plots.confusion_figure(m, _MODEL, "r.csv", {"5": 2, "6": 3})
    assert many.axes[0].get_title() == "confusion matrix: r.csv (8 texts; 5 dropped: labelled 5 (2), 6 (3))"
    for dropped in (None, {}, {"3": 0}):
        fig = plots.confusion_figure(m, _MODEL, "r.csv", dropped)
        assert fig.axes[0].get_title() == "confusion matrix: r.csv (8 texts)"


@pytest.mark.parametrize(
    "mapping",
    [
        {"1..2": "negative", "1": "positive", "2": "-"},  # a literal label that reads as a range
        {"3": "-", "1..5": "positive", "+1": "negative"},
        {
            "a, b": "positive",
            "x=y": "negative",
            " pad ": "-",
            'say "hi"': "negative",
            "back\\slash": "positive",
        },
        {"": "positive", "-": "-", 'q"': "negative", "neutral": "-"},
        {"pos": "good, really", "neg": "bad=yes"},  # model labels holding the syntax too
    ],
)
def test_the_recorded_map_parses_back_to_itself(mapping: dict[str, str]) -> None:
    text = format_label_map(mapping)
    assert parse_label_map(text) == mapping, text
    assert list(parse_label_map(text)) == list(mapping)


def test_a_quoted_range_is_a_label_and_a_bare_one_a_range() -> None:
    literal = parse_label_map('"1..2"=negative,1=positive')
    with pytest.raises(LabelMapError, match=r"leaves '2' unmapped"):  # "1..2" quoted does not hold 2
        resolve_labels(["1..2", "1", "2"], _MODEL, "d.csv", literal)
    r = resolve_labels(["1..2", "1"], _MODEL, "d.csv", literal)
    assert r.labels == ["negative", "positive"]
    assert resolve_labels(["2"], _MODEL, "d.csv", parse_label_map("1..2=negative")).labels == ["negative"]
    assert parse_label_map(' "a, b" = positive , neg=negative') == {"a, b": "positive", "neg": "negative"}
    for bad, why in [('"abc=positive', "unclosed quote"), ('a"b"=positive', "quotes part of a label")]:
        with pytest.raises(LabelMapError, match=why) as err:
            parse_label_map(bad)
        assert "double quotes" in str(err.value)


_THREE_ROWS = [  # a hand-written three-class training set
    *[
        (f"{w} product, {v}", "positive")
        for w in ("great", "wonderful", "lovely")
        for v in ("love it", "works")
    ],
    *[(f"{w} product, {v}", "negative") for w in ("terrible", "awful", "broken") for v in ("waste", "poor")],
    *[(f"{w} product, {v}", "neutral") for w in ("okay", "average", "plain") for v in ("fine", "so so")],
]


def test_cli_three_class_model_keeps_three_stars_as_neutral(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    train = write_csv(tmp_path / "three.csv", _THREE_ROWS * 3)
    model = tmp_path / "model"
    args = ["--tokenizer", "word", "--min-frequency", "1", "--embed-dim", "8", "--hidden-size", "8"]
    done = nlp("sentiment", "train", "--data", str(train), "--out", str(model), *args, "--epochs", "1",
               "--threads", "1", "--json", "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labels"] == ["negative", "neutral", "positive"]
    stars = write_csv(tmp_path / "stars.csv", _STARS, ("text", "stars"))
    ev = nlp("sentiment", "evaluate", "--model", str(model), "--data", str(stars), "--label-col", "stars",
             "--json", "-o", str(tmp_path / "ev"))  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    report = json.loads(ev.stdout)
    assert report["rows"] == 9 and report["dropped"] == 0 and report["label_rule"] == "1..5 stars"
    assert report["label_map"] == {
        "1": "negative",
        "2": "negative",
        "3": "neutral",
        "4": "positive",
        "5": "positive",
    }
    assert report["average"] == "macro" and report["labels"] == ["negative", "neutral", "positive"]
    confusion = report["confusion"]
    assert len(confusion) == 3 and all(len(row) == 3 for row in confusion)
    assert [sum(row) for row in confusion] == [3, 2, 4]  # 1-2 stars, 3 stars, 4-5 stars
    assert ev.stderr.count("WARNING") == 1 and "dropped" not in ev.stderr, ev.stderr
    assert (tmp_path / "ev" / "confusion.png").read_bytes().startswith(b"\x89PNG")


def test_a_range_stays_a_range_through_the_written_map() -> None:
    """A range read as one (``1..2``) is written back bare and reads back as a range, not as the literal
    label ``"1..2"`` (the two compare equal as strings, so the map's equality alone cannot tell)."""
    from carrousel.nlp.label_map import format_label_map, parse_label_map

    written = format_label_map(parse_label_map('1..2=negative,"4..5"=positive'))
    assert written == '1..2=negative,"4..5"=positive'
    again = parse_label_map(written)
    assert type(next(iter(again))).__name__ == "_Range"
    assert type(list(again)[1]) is str

"""The label reading written back: ``sentiment evaluate``'s text line ``labels  data read as the model's: ...``
is the ``--label-map`` that reads the data the same way (before: each label as ``k=v`` joined by ", ",
unquoted, so ``"a, b"=positive`` came out unreadable, and a scale's ranges came out one grade at a time);
and a model label that is literally ``-`` is told from the drop marker (before: ``neg="-"`` read as ``neg=-``
and dropped the rows, and a data label ``-`` that was the model's own was dropped too). A bare ``-`` drops,
a quoted ``"-"`` is the label; :func:`format_label_map` writes the label quoted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.label_map import DROP, format_label_map, parse_label_map, resolve_labels
from carrousel.nlp.label_scales import drops
from tests.nlp.conftest import Run, write_csv
from tests.nlp.test_nlp_label_grades import _STARS

_SIGNS = ["+", "-"]  # a model trained on the labels + and -
_METRICS = ("rows", "dropped", "accuracy", "precision", "recall", "f1", "roc_auc", "confusion", "label_map")


def _line(stdout: str) -> str:
    (line,) = [x for x in stdout.splitlines() if x.startswith("labels ")]
    return line.split("data read as the model's: ", 1)[1]


def _pasted_back(
    nlp: Callable[..., Run], args: list[str]
) -> tuple[str, dict[str, object], dict[str, object]]:
    """The text line of ``evaluate args``, and the --json reports of ``args`` and of ``args`` with that line
    given as --label-map (in place of any map of ``args``)."""
    text = nlp("sentiment", "evaluate", *args)
    assert text.returncode == 0, text.stderr
    written = _line(text.stdout)
    first = nlp("sentiment", "evaluate", *args, "--json")
    if "--label-map" in args:
        at = args.index("--label-map")
        args = args[:at] + args[at + 2 :]
    again = nlp("sentiment", "evaluate", *args, "--label-map", written, "--json")
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    return written, json.loads(first.stdout), json.loads(again.stdout)


@pytest.mark.parametrize(
    ("rows", "given", "shown"),
    [
        (_STARS, None, "1..2=negative,3=-,4..5=positive"),  # the 1..5 stars reading, as its warning says it
        (
            [(t, {"1": "1", "2": "3", "3": "5", "4": "7", "5": "10"}[s]) for t, s in _STARS],
            None,
            "1..4=negative,5..6=-,7..10=positive",  # in the order of the grades, not "1", "10", "3"...
        ),
        (_STARS, "1..2=negative, 3=-, 4..5=positive, 9=positive", "1..2=negative,3=-,4..5=positive"),
        (
            [(t, {"1": "thumbs down", "2": "meh", "3": "a, b", "4": "x=y", "5": "up"}[s]) for t, s in _STARS],
            'thumbs down=negative,meh=negative,"a, b"=-,"x=y"=positive,up=positive',
            '"a, b"=-,meh=negative,thumbs down=negative,up=positive,"x=y"=positive',
        ),
    ],
)
def test_the_text_line_is_a_label_map_that_reads_the_same(
    tmp_path: Path, nlp: Callable[..., Run], rows: list[tuple[str, str]], given: str | None, shown: str
) -> None:
    data = write_csv(tmp_path / "stars.csv", rows, ("text", "stars"))
    args = ["--data", str(data), "--label-col", "stars"] + (["--label-map", given] if given else [])
    written, first, again = _pasted_back(nlp, args)
    assert written == shown
    assert {k: first[k] for k in _METRICS} == {k: again[k] for k in _METRICS}
    assert first["label_map_text"] == written and first["dropped"] == again["dropped"] > 0


@pytest.mark.parametrize(
    "mapping",
    [
        {"neg": "-", "meh": DROP, "pos": "+"},
        {"-": "-", "+": "+", "0": DROP},
        {"-": DROP, "minus": "-"},
    ],
)
def test_a_label_that_is_a_dash_round_trips_apart_from_the_drop(mapping: dict[str, str]) -> None:
    text = format_label_map(mapping)
    again = parse_label_map(text)
    assert again == mapping and list(again) == list(mapping), text
    assert [drops(v) for v in again.values()] == [drops(v) for v in mapping.values()], text
    assert format_label_map({"neg": "-", "meh": DROP}) == 'neg="-",meh=-'


def test_a_quoted_dash_maps_to_the_label_and_a_bare_one_drops() -> None:
    given = parse_label_map('pos=+,neg="-",meh=-')
    r = resolve_labels(["pos", "neg", "meh", "-", "+"], _SIGNS, "d.csv", given)
    assert r.labels == ["+", "-", None, "-", "+"] and r.dropped == 1
    assert r.written == '+=+,"-"="-",meh=-,neg="-",pos=+'
    again = resolve_labels(["pos", "neg", "meh", "-", "+"], _SIGNS, "d.csv", parse_label_map(r.written))
    assert again.labels == r.labels
    # the model's own "-" needs no map, and is kept beside a map of the other labels
    assert resolve_labels(["-", "x"], _SIGNS, "d.csv", parse_label_map("x=+")).labels == ["-", "+"]


def test_cli_model_trained_on_dash_labels(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    signs = {"1": "-", "2": "-", "3": "-", "4": "+", "5": "+"}
    train = write_csv(tmp_path / "train.csv", [(t, signs[s]) for t, s in _STARS] * 4)
    model = tmp_path / "model"
    net = ["--tokenizer", "word", "--min-frequency", "1", "--embed-dim", "8", "--hidden-size", "8"]
    done = nlp("sentiment", "train", "--data", str(train), "--out", str(model), *net, "--epochs", "1",
               "--threads", "1", "--json", "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labels"] == ["+", "-"]
    words = {"1": "neg", "2": "neg", "3": "meh", "4": "pos", "5": "pos"}
    data = write_csv(tmp_path / "words.csv", [(t, words[s]) for t, s in _STARS])
    args = ["--model", str(model), "--data", str(data), "--label-map", 'pos=+,neg="-",meh=-']
    written, first, again = _pasted_back(nlp, args)
    assert written == 'meh=-,neg="-",pos=+'
    assert first["rows"] == 7 and first["dropped"] == 2 and first["label_map"]["neg"] == "-"
    # the dropped label is null, apart from the label "-" (before: "meh": "-", as "neg": "-")
    assert first["label_map"] == {"meh": None, "neg": "-", "pos": "+"}
    assert sum(first["confusion"][1]) == 3  # the three neg rows counted as "-", not dropped
    assert {k: first[k] for k in _METRICS} == {k: again[k] for k in _METRICS}

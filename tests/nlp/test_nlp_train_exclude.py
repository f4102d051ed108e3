"""``nlp sentiment train --exclude`` that leaves too little to train on: one line naming the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_harness import Outcome, assert_clean_failure
from tests.nlp.conftest import write_csv

# 20 texts of each label: the training data of every test here.
_ROWS = [(f"a good film {i}", "pos") for i in range(20)] + [(f"a dull film {i}", "neg") for i in range(20)]
# A tiny model, with its summary on stdout.
_SMALL = ["--hidden-size", "4", "--embed-dim", "4", "--epochs", "1", "--json"]


def _trained_on(outcome: Outcome) -> int:
    """The rows a ``train --json`` run trained and validated on (the run must have succeeded)."""
    assert outcome.code == 0, outcome.stderr
    doc: dict[str, int] = json.loads(outcome.stdout)
    return doc["train_rows"] + doc["val_rows"]


@pytest.mark.parametrize(
    ("keep_out", "needle"),
    [
        ("all", "holds every text of the training data (40 rows): none is left to train on"),
        ("neg", "leaves rows of one label only ('pos', 20 of 40 rows); need two classes or more"),
    ],
)
def test_exclude_that_leaves_too_little_is_one_line(
    tmp_path: Path, invoke: Any, keep_out: str, needle: str
) -> None:
    """``train --exclude`` given the training file itself: "internal error (IndexError: list index out of
    range)" (the one-class message read the first label of none); one that left one label: "--data X: every
    row has label 'pos'" of a file holding both."""
    data = write_csv(tmp_path / "train.csv", _ROWS)
    held = write_csv(tmp_path / "held.csv", _ROWS if keep_out == "all" else _ROWS[20:])
    out = tmp_path / "model"
    outcome = invoke(
        "nlp", "sentiment", "train", "--data", data, "--exclude", held, "-o", out, "--epochs", "1"
    )
    assert_clean_failure(outcome, 1, needle)
    assert not out.exists()


def test_exclude_reads_a_table_of_texts_alone_and_names_its_flag(tmp_path: Path, invoke: Any) -> None:
    """``--exclude`` keeps texts out: a test set's text column is all it needs. Before, it was read as
    ``--data`` is, so a table of texts alone failed on "--data held.csv: no column 'label'", naming the wrong
    option, and a file of plain lines on "--data held.txt: line 1 does not start with __label__"."""
    data = write_csv(tmp_path / "train.csv", _ROWS)
    held = tmp_path / "held.csv"
    held.write_text("text\n" + "".join(f"{t}\n" for t, _ in _ROWS[:5] + _ROWS[20:25]))
    out = tmp_path / "model"
    outcome = invoke("nlp", "sentiment", "train", "--data", data, "--exclude", held, "-o", out, *_SMALL)
    assert _trained_on(outcome) == 30
    lines = tmp_path / "held.txt"
    lines.write_text("a good film 1\n")
    failed = invoke("nlp", "sentiment", "train", "--data", data, "--exclude", lines, "-o", tmp_path / "m2")
    assert_clean_failure(failed, 1, f"--exclude {lines}: line 1 does not start with __label__")


def test_exclude_names_no_column_option_it_does_not_have(tmp_path: Path, invoke: Any) -> None:
    """``--exclude held.csv`` whose texts are in ``review``: main warned "reading 'review' as the texts (give
    --text-col to choose another)", and with no usual column said "no column 'text' (--text-col)", though
    --text-col is --data's; --exclude has no column option, so the messages say to name the column in the file."""
    data = write_csv(tmp_path / "train.csv", _ROWS)
    held = tmp_path / "held.csv"
    held.write_text("review\n" + "".join(f"{t}\n" for t, _ in _ROWS[:5] + _ROWS[20:25]))
    outcome = invoke(
        "nlp", "sentiment", "train", "--data", data, "--exclude", held, "-o", tmp_path / "m", *_SMALL
    )
    assert _trained_on(outcome) == 30
    assert (
        f"--exclude {held}: no column 'text'; reading 'review' as the texts (name the column of the texts "
        "'text' in the file to choose another)"
    ) in outcome.stderr
    assert "--text-col" not in outcome.stderr
    held.write_text("a,b\nx,y\n")
    failed = invoke("nlp", "sentiment", "train", "--data", data, "--exclude", held, "-o", tmp_path / "m2")
    assert_clean_failure(
        failed,
        1,
        f"--exclude {held}: no column 'text'; columns found: 'a', 'b'; name the column of the texts 'text' in "
        "the file (a file without a header row? add one naming the text column)",
    )
    assert "--text-col" not in failed.stderr and "--file" not in failed.stderr


def test_exclude_given_a_data_set_reads_its_text_column_and_names_no_column_option(
    tmp_path: Path, invoke: Any, hub_offline: None
) -> None:
    """``--exclude`` given a saved data set (a ``save_to_disk`` folder; a hub name takes the same path) was
    read as ``--data`` is: its errors named --text-col and --label-col, options of --data ("no column 'text'
    (--text-col)"; "reading 'review' as the texts (give --text-col to choose another)"), and it needed a label
    column, though only texts are kept out. It is now read as an --exclude table is: its text column alone,
    the messages saying to name the column in the data set."""
    import datasets

    data = write_csv(tmp_path / "train.csv", _ROWS)
    held = tmp_path / "held"
    kept_out = [t for t, _ in _ROWS[:5] + _ROWS[20:25]]
    datasets.Dataset.from_dict({"review": kept_out, "stars": [5] * 10}).save_to_disk(str(held))
    outcome = invoke(
        "nlp", "sentiment", "train", "--data", data, "--exclude", held, "-o", tmp_path / "m", *_SMALL
    )
    assert _trained_on(outcome) == 30
    assert (
        f"--exclude {held}: no column 'text'; reading 'review' as the texts (name the column of the texts "
        "'text' in the data set to choose another)"
    ) in outcome.stderr
    assert "--text-col" not in outcome.stderr and "--label-col" not in outcome.stderr
    other = tmp_path / "other"
    datasets.Dataset.from_dict({"a": kept_out, "b": kept_out}).save_to_disk(str(other))
    failed = invoke("nlp", "sentiment", "train", "--data", data, "--exclude", other, "-o", tmp_path / "m2")
    assert_clean_failure(
        failed,
        1,
        f"--exclude {other}: no column 'text'; columns found: 'a', 'b'; name the column of the texts 'text' "
        "in the data set",
    )
    assert "--text-col" not in failed.stderr and "header row" not in failed.stderr

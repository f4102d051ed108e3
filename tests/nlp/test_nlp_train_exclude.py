"""``nlp sentiment train --exclude`` that leaves too little to train on: one line naming the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli_harness import assert_clean_failure
from tests.nlp.conftest import write_csv


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
    rows = [(f"a good film {i}", "pos") for i in range(20)] + [(f"a dull film {i}", "neg") for i in range(20)]
    data = write_csv(tmp_path / "train.csv", rows)
    held = write_csv(tmp_path / "held.csv", rows if keep_out == "all" else rows[20:])
    out = tmp_path / "model"
    outcome = invoke(
        "nlp", "sentiment", "train", "--data", data, "--exclude", held, "-o", out, "--epochs", "1"
    )
    assert_clean_failure(outcome, 1, needle)
    assert not out.exists()

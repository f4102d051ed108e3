"""Training rows whose classes are far apart, or too few to hold 10% out, are said in a warning
(#sweep-nlp-train: 99:1 rows and 10 rows of 5 classes trained without a word)."""

from __future__ import annotations

import logging

import pytest

from carrousel.nlp.data import stratified_split


def test_imbalanced_and_tiny_classes_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        stratified_split(["pos"] * 396 + ["neg"] * 4, 0.1, 0)
    assert "class 'neg' has 4 of 400 rows (1%)" in caplog.text and "recall" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        _train, held = stratified_split([f"c{i % 5}" for i in range(10)], 0.1, 0)
    assert len(held) == 5 and "5 of 10 rows held out for early stopping (not 10%)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        stratified_split(["pos", "neg"] * 50, 0.1, 0)  # balanced, enough rows: silent
    assert caplog.text == ""


def test_a_small_share_is_not_written_as_zero(caplog: pytest.LogCaptureFixture) -> None:
    """The shares go through core's percent(): 2 of 5000 rows read '(0.0%)' and a 0.1% held-out share
    'not 0%' on main."""
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        stratified_split(["pos"] * 4998 + ["neg"] * 2, 0.1, 0)
    assert "class 'neg' has 2 of 5000 rows (0.04%)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        stratified_split([f"c{i % 5}" for i in range(10)], 0.001, 0)
    assert "5 of 10 rows held out for early stopping (not 0.1%)" in caplog.text

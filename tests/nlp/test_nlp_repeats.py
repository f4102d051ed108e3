"""Repeated texts (retweets, copied reviews) stay on one side of the held-out split of ``nlp sentiment train``
(#nlp-dupes). Before: the split was by row, so of 200 rows with 30% repeats, copies of 17 texts were both
trained on and held out, inflating the held-out accuracy that picks the epoch and the decision cut."""

from __future__ import annotations

import csv
import json
import logging
import random
from pathlib import Path

import pytest
import torch

from carrousel.nlp.config import (
    FitConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.data import stratified_split
from carrousel.nlp.pipeline import train_sentiment
from carrousel.nlp.repeats import TextRepeats, text_split

GOOD, BAD = ["great", "lovely", "fine", "superb", "warm"], ["awful", "dull", "poor", "bleak", "cold"]


def _rows(n: int = 200, repeat: float = 0.3, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` rows, ``repeat`` of them copies of earlier rows (same label)."""
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    while len(rows) < n:
        if rows and rng.random() < repeat:
            rows.append(rng.choice(rows))
            continue
        pos = rng.random() < 0.5
        words = rng.sample(GOOD if pos else BAD, 2) + [f"w{rng.randrange(10_000)}" for _ in range(3)]
        rows.append((" ".join(words), "pos" if pos else "neg"))
    return rows


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("text", "label"), *rows])
    return path


def test_copies_of_a_text_stay_on_one_side() -> None:
    rows = _rows()
    texts, labels = [t for t, _ in rows], [lab for _, lab in rows]
    _, held_by_row = stratified_split(labels, 0.2, 0)
    leaked = {texts[i] for i in held_by_row} & {
        texts[i] for i in range(len(rows)) if i not in set(held_by_row)
    }
    assert leaked  # the row split this replaces: copies on both sides
    train, held, repeats = text_split(texts, labels, 0.2, 0)
    assert not {texts[i] for i in train} & {texts[i] for i in held}
    assert sorted([*train, *held]) == list(range(len(rows)))
    distinct = len(set(texts))
    assert repeats == TextRepeats(sum(texts.count(t) > 1 for t in set(texts)), len(rows) - distinct, 0)
    assert repeats.repeated_rows > 0.2 * len(rows)


def test_no_repeats_gives_the_row_split() -> None:
    labels = ["pos", "neg", "neg"] * 40
    texts = [f"text {i}" for i in range(len(labels))]
    train, held, repeats = text_split(texts, labels, 0.1, 7)
    expected = stratified_split(labels, 0.1, 7)
    assert (train == expected[0]).all() and (held == expected[1]).all() and repeats == TextRepeats()


def test_conflicting_labels_warn_once_and_train(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = _rows(120, 0.3, seed=1)
    rows += [
        ("so so  film", "pos"),
        ("so so film", "neg"),
        ("so so film", "neg"),
        ("meh", "neg"),
        ("meh", "pos"),
    ]
    data = _write(tmp_path / "d.csv", rows)
    cfg = SentimentTrainConfig(
        TextDataConfig(str(data)),
        TokenizerConfig(kind="word", vocab_size=200, min_frequency=1),
        SentimentNetConfig(embed_dim=8, hidden_size=8),
        FitConfig(epochs=1, batch_size=32, lr=1e-2, val_fraction=0.2, progress=False),
    )
    torch.set_num_threads(1)
    with caplog.at_level(logging.INFO, logger="carrousel.nlp.repeats"):
        result = train_sentiment(cfg, tmp_path / "m")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2 repeated texts carry different labels" in warnings[0]
    assert "'so so  film' as 'neg' 2x, 'pos' 1x" in warnings[0]
    texts = [t for t, _ in rows]
    assert result.repeats.conflicting_texts == 2
    assert result.repeats.repeated_rows == len(texts) - len({" ".join(t.split()) for t in texts})
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(f"{result.repeats.repeated_texts} texts repeat" in m for m in info)
    bundle = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["data"]["repeats"]["conflicting_texts"] == 2


def test_same_label_copies_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    rows = _rows(100, 0.3, seed=2)
    with caplog.at_level(logging.INFO, logger="carrousel.nlp.repeats"):
        text_split([t for t, _ in rows], [lab for _, lab in rows], 0.1, 0)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "texts repeat" in caplog.text


def test_a_class_of_one_text_falls_back_to_the_row_split(caplog: pytest.LogCaptureFixture) -> None:
    texts, labels = (
        ["good film", "fine film", "nice film", "a bad film", "a bad film"],
        ["pos"] * 3 + ["neg"] * 2,
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        train, held, repeats = text_split(texts, labels, 0.2, 0)
    expected = stratified_split(labels, 0.2, 0)
    assert (train == expected[0]).all() and (held == expected[1]).all() and repeats.repeated_rows == 1
    assert "class 'neg' has under 2 distinct texts" in caplog.text


def test_copies_are_the_same_text_as_read() -> None:
    """Copies are grouped by the text as the model reads it: ``don&#039;t`` and ``don't`` (a scrape escaped and
    one not), or the same text with a tab or NBSP for a space, are one text on one side of the split (before:
    grouped by their raw text, they could land on both sides); so are they to ``--exclude``."""
    from carrousel.nlp.pipeline.common import drop_excluded

    base = [f"text {i}" for i in range(40)]
    labels = ["pos", "neg"] * 20
    copies = {"I don't like it": "I don&#039;t like it", "a  fine\tday": "a&nbsp;fine day"}
    texts = [*base, *copies, *copies.values()]
    labels = [*labels, "neg", "pos", "neg", "pos"]
    for seed in range(20):
        _, held, repeats = text_split(texts, labels, 0.3, seed)
        assert repeats.repeated_texts == 2 and repeats.repeated_rows == 2
        for a, b in [(40, 42), (41, 43)]:
            assert (a in held) == (b in held), (seed, a, b)
    kept, _ = drop_excluded(texts, labels, ["I don't like it", "A FINE DAY"], "held.csv")
    assert kept == base

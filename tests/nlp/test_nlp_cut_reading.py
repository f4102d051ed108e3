"""Training places a two-class model's decision cut reading its held-out rows as prediction reads them by
default (:data:`carrousel.nlp.long_texts.DEFAULT_READING`: a text longer than the limit by sentence).

On main the cut was placed on held-out texts read whole (cut at ``max_length`` tokens) while ``predict`` read
them by sentence, so a long held-out text was scored one way when the cut was chosen and another at prediction.
Texts all within the limit are read the same either way: the cut is then bit for bit main's.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from carrousel.nlp.config import (
    FitConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.data import encode_texts, load_texts
from carrousel.nlp.decision import choose_threshold
from carrousel.nlp.long_texts import DEFAULT_READING
from carrousel.nlp.pipeline import SentimentModel, train_sentiment
from carrousel.nlp.repeats import text_split
from tests.nlp.conftest import synthetic_rows, write_csv

LIMIT = 12  # tokens: one synthetic sentence (at most 7 words) fits, four of them do not


def _hand_cut(model: SentimentModel, data: Path, long: str) -> tuple[float, int, int]:
    """The ``prior`` cut computed by hand from ``predict_proba(long=long)`` on the held-out rows of the
    training split (seed and fraction of :class:`FitConfig`'s defaults), their count, and how many of them
    exceed the limit."""
    rows, fit = load_texts(TextDataConfig(str(data))), FitConfig()
    train_idx, val_idx, _ = text_split(rows.texts, rows.labels, fit.val_fraction, fit.seed)
    y = np.asarray([model.labels.index(label) for label in rows.labels])
    val = [rows.texts[i] for i in val_idx]
    p = model.predict_proba(val, long=long)[:, 1]
    cut = choose_threshold(p, y[val_idx], "prior", float(np.mean(y[train_idx] == 1)))
    long_rows = sum(len(ids) > model.max_length for ids in encode_texts(model.tokenizer, val, 10_000))
    return cut, len(val), long_rows


def _train(data: Path, out: Path) -> tuple[SentimentModel, dict[str, object]]:
    cfg = SentimentTrainConfig(
        TextDataConfig(str(data), max_length=LIMIT),
        TokenizerConfig(kind="word", vocab_size=200, min_frequency=1),
        SentimentNetConfig(embed_dim=16, hidden_size=16),
        FitConfig(epochs=3, batch_size=16, lr=1e-2, progress=False),
    )
    train_sentiment(cfg, out)
    manifest = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    return SentimentModel.from_pretrained(out), manifest["data"]["threshold"]


def test_long_held_out_texts_place_the_cut_by_sentence(tmp_path: Path) -> None:
    """Fails on main: the stored cut was the whole-text reading's."""
    rng, short = random.Random(1), synthetic_rows(300)
    by_label: dict[str, list[str]] = {"pos": [], "neg": []}
    for text, label in synthetic_rows(600, seed=2):
        by_label[label].append(text)
    long = [
        (". ".join(rng.sample(by_label[label], 4)) + ".", label)
        for label in ("pos", "neg")
        for _ in range(60)
    ]
    data = write_csv(tmp_path / "long.csv", short + long)
    model, made = _train(data, tmp_path / "m")
    by_sentence, n, n_long = _hand_cut(model, data, "truncated")
    whole, _, _ = _hand_cut(model, data, "whole")
    assert n_long >= 10 and made["rows"] == n  # long texts among the held-out rows placed it
    assert whole != by_sentence  # the data do tell the two readings apart (main stored `whole`)
    assert model.threshold == by_sentence  # exactly: the same probabilities, the same cut
    assert DEFAULT_READING == "truncated" and made["long"] == "truncated"  # recorded (absent: whole)


def test_short_texts_place_main_s_cut_bit_for_bit(tmp_path: Path) -> None:
    """No held-out text over the limit: the by-sentence reading is the whole one, the cut main's exactly."""
    data = write_csv(tmp_path / "short.csv", synthetic_rows(400))
    model, made = _train(data, tmp_path / "m")
    whole, n, n_long = _hand_cut(model, data, "whole")
    assert n_long == 0 and model.threshold == whole  # main's cut, bit for bit
    assert made == {"criterion": "prior", "rows": n, "long": "truncated"}  # the provenance names the reading

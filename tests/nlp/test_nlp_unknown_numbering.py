"""The warning of texts the model knows no word of names them as the caller gave them.

Before, it was logged wherever texts were tokenized, numbered there: ``nlp sentiment predict --file`` of 1,100
lines, line 1,050 in runes, said ``1 of 76 texts (text 26)`` (the texts of the last block of 1,024); a long
text read by sentence, one sentence in runes, said ``1 of 161 texts (text 151)`` of a one-text file (its
sentences); and ``train --teacher`` named ``text 84`` of its transfer set, rows of no file (augmented copies)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from carrousel.nlp.pipeline import distill, sentiment
from carrousel.nlp.pipeline.sentiment import SentimentModel
from tests.cli_harness import Outcome, invoke  # noqa: F401  (the fixture)
from tests.nlp.conftest import distill_config, synthetic_rows, write_csv

RUNES = "ᚠᚢᚦ"  # no word of any model here


def _unread(messages: list[str]) -> list[str]:
    return [m for m in messages if "no word the model knows" in m]


def test_predict_file_names_the_line_across_blocks(
    invoke: Callable[..., Outcome],  # noqa: F811
    sentiment_model: Path,
    tmp_path: Path,
) -> None:
    lines = ["a really brilliant film"] * 40
    lines[33] = RUNES  # in the third block of 16 (--batch-size 1)
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = invoke(
        "nlp", "sentiment", "predict", "--model", sentiment_model, "--file", texts, "--batch-size", "1"
    )
    assert outcome.code == 0, outcome.stderr
    said = _unread(outcome.stderr.splitlines())
    assert len(said) == 1 and "1 of 40 texts (text 34) holds no word" in said[0], outcome.stderr


def test_a_text_read_by_sentence_is_named_as_a_text(
    caplog: pytest.LogCaptureFixture, sentiment_model: Path
) -> None:
    model = SentimentModel.from_pretrained(sentiment_model)
    texts = [f"a brilliant film. {RUNES}. a great cast.", RUNES]
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = model(texts, long="sentences")
        probs = model.predict_proba(texts, long="sentences")
    said = _unread([r.getMessage() for r in caplog.records])
    assert said == ["1 of 2 texts (text 2) holds no word the model knows, only [UNK] (another language?): "
                    "its label means nothing"] * 2  # fmt: skip
    assert [p.read for p in got] == ["sentences", "whole"]
    assert [p.unknown_only for p in got] == [False, True]
    np.testing.assert_allclose(probs, [[p.probabilities[c] for c in model.labels] for p in got], atol=1e-6)


def test_distillation_names_the_data_rows_alone(
    caplog: pytest.LogCaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The teacher's transfer set faked (no MiniLM): its texts (augmented copies, unlabelled lines) and the
    held-out or training subsets the cut is placed on are no rows of the data: only the data's are named."""

    def transfer_set(
        cfg: Any, train_texts: Any, train_y: Any, val_texts: Any, val_y: Any, labels: Any
    ) -> Any:
        return SimpleNamespace(
            extra=["ᛗ"],  # a copy cut to one word the vocabulary lacks
            extra_labels=[-1],
            train_logits=np.zeros((len(train_texts) + 1, len(labels)), np.float32),
            val_logits=np.zeros((len(val_texts), len(labels)), np.float32),
            train_features=None,
            val_features=None,
            encoder=None,
            teacher_val_accuracy=0.5,
            counts={},
        )

    monkeypatch.setattr(distill, "teacher_transfer_set", transfer_set)
    monkeypatch.setattr(distill, "read_as_student", lambda soft, *args: soft)
    rows = synthetic_rows(60, seed=0)
    for at, word in ((9, "ᚠ"), (29, "ᚢ"), (49, "ᚦ")):  # each once: [UNK] at min_frequency 2
        rows[at] = (word, rows[at][1])
    cfg = distill_config(tmp_path)
    cfg = replace(
        cfg,
        data=replace(cfg.data, source=str(write_csv(tmp_path / "runes.csv", rows))),
        tokenizer=replace(cfg.tokenizer, min_frequency=2),
        fit=replace(cfg.fit, epochs=1),
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        sentiment.train_sentiment(cfg, tmp_path / "m")
    said = _unread([r.getMessage() for r in caplog.records])
    assert len(said) == 1 and said[0].startswith("3 of 60 texts (texts 10, 30, 50) hold no word"), said


def test_evaluate_names_the_data_row_past_dropped_rows(
    caplog: pytest.LogCaptureFixture, sentiment_model: Path, tmp_path: Path
) -> None:
    """Rows the label reading drops (``meh=-``) come before the text in runes: it is named by its data row."""
    from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
    from carrousel.nlp.pipeline.sentiment_eval import evaluate_sentiment

    rows = [("a brilliant film", "pos"), ("so so", "meh"), ("fine", "meh"), (RUNES, "neg"), ("awful", "neg")]
    data = write_csv(tmp_path / "d.csv", rows)
    cfg = SentimentEvaluateConfig(
        str(sentiment_model), TextDataConfig(str(data)), label_map="pos=pos,neg=neg,meh=-"
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = evaluate_sentiment(cfg)
    assert got.rows == 3 and got.dropped == 2
    said = _unread([r.getMessage() for r in caplog.records])
    assert len(said) == 1 and said[0].startswith("1 of 3 texts (text 4) holds no word"), said

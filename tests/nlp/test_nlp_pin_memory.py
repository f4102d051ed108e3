"""nlp's training loaders (sentiment, its distillation and translate) pin their batches where the trainer
runs on CUDA, by core's rule (:func:`carrousel.core.device.pin_memory_for`), so that the trainer's
``non_blocking`` copy is asynchronous; on the CPU nothing changes. The CUDA cases run on the CPU with the
rule answering as for CUDA (each fails on main, where no nlp loader pinned)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.nlp.config import (
    FitConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.data import TextClassDataset, make_loader
from carrousel.nlp.pipeline import distill, sentiment, translate_train
from carrousel.nlp.pipeline.distill import make_distill_loader
from carrousel.nlp.pipeline.translate_vocab import pair_loader
from tests.cuda_pins import rule_as_cuda, spy_loaders
from tests.nlp.conftest import distill_config, synthetic_rows, write_csv
from tests.nlp.translate_toys import cli_translator

pytestmark = pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")


class _StopError(Exception):
    """Ends a training once its loaders exist."""


def _stop(*args: Any, **kwargs: Any) -> Any:
    raise _StopError


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(
        all(torch.equal(u, v) for u, v in zip(x, y, strict=True)) for x, y in zip(a, b, strict=True)
    )


def test_loaders_pin_when_asked_and_iterate_alike_on_cpu() -> None:
    """The collators' tuples of tensors are what a pinning loader page-locks; on the CPU the batches are the
    same either way."""
    ids = [np.arange(1, n + 1, dtype=np.int64) for n in (3, 5, 2, 4, 6)]
    data = TextClassDataset(ids, [0, 1, 0, 1, 1])
    assert make_loader(data, 2, False).pin_memory is False
    assert make_loader(data, 2, False, pin_memory=True).pin_memory is True
    assert _same(list(make_loader(data, 2, False)), list(make_loader(data, 2, False, pin_memory=True)))
    logits = np.zeros((5, 2), np.float32)
    soft = [
        make_distill_loader(ids, [0, 1, 0, 1, 1], logits, 2, False, 0, pin_memory=p) for p in (False, True)
    ]
    assert [s.pin_memory for s in soft] == [False, True] and _same(list(soft[0]), list(soft[1]))
    pairs = [(x, x[::-1].copy()) for x in ids]
    by_pairs = [pair_loader(pairs, 2, False, 0, pin_memory=p) for p in (False, True)]
    assert [s.pin_memory for s in by_pairs] == [False, True] and _same(list(by_pairs[0]), list(by_pairs[1]))


@pytest.mark.parametrize("cuda", [True, False])
def test_sentiment_training_pins_for_a_cuda_trainer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cuda: bool
) -> None:
    asked = rule_as_cuda(monkeypatch, sentiment, cuda)
    pins = spy_loaders(monkeypatch, sentiment, "make_loader", make_loader)
    monkeypatch.setattr(sentiment, "Trainer", _stop)
    cfg = SentimentTrainConfig(
        TextDataConfig(str(write_csv(tmp_path / "t.csv", synthetic_rows(80)))),
        TokenizerConfig(kind="word", vocab_size=200, min_frequency=1),
        SentimentNetConfig(embed_dim=8, hidden_size=8),
        FitConfig(epochs=1, batch_size=16, progress=False, device="cpu"),
    )
    with pytest.raises(_StopError):
        sentiment.train_sentiment(cfg, tmp_path / "m")
    assert asked == ["cpu"]  # the fit's device
    assert pins == [cuda, cuda]  # training and validation


@pytest.mark.parametrize("cuda", [True, False])
def test_distillation_pins_for_a_cuda_trainer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cuda: bool
) -> None:
    """The teacher's transfer set faked (no MiniLM needed): the student's loaders pin as sentiment's do."""

    def transfer_set(
        cfg: Any, train_texts: Any, train_y: Any, val_texts: Any, val_y: Any, labels: Any
    ) -> Any:
        return SimpleNamespace(
            extra=[],
            extra_labels=[],
            train_logits=np.zeros((len(train_texts), len(labels)), np.float32),
            val_logits=np.zeros((len(val_texts), len(labels)), np.float32),
            train_features=None,
            val_features=None,
            encoder=None,
        )

    monkeypatch.setattr(distill, "teacher_transfer_set", transfer_set)
    monkeypatch.setattr(distill, "read_as_student", lambda soft, *args: soft)
    asked = rule_as_cuda(monkeypatch, sentiment, cuda)
    pins = spy_loaders(monkeypatch, distill, "make_distill_loader", make_distill_loader)
    monkeypatch.setattr(sentiment, "Trainer", _stop)
    with pytest.raises(_StopError):
        cfg = distill_config(tmp_path)
        sentiment.train_sentiment(replace(cfg, fit=replace(cfg.fit, device="cpu")), tmp_path / "m")
    assert asked == ["cpu"]
    assert pins == [cuda, cuda]


@pytest.mark.parametrize("cuda", [True, False])
def test_translate_training_pins_for_a_cuda_trainer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cuda: bool
) -> None:
    asked = rule_as_cuda(monkeypatch, translate_train, cuda)
    pins = spy_loaders(monkeypatch, translate_train, "pair_loader", pair_loader)
    cli_translator(tmp_path, "--epochs", "1", "--device", "cpu")
    assert asked == ["cpu"]
    assert pins == [cuda, cuda]  # training and validation

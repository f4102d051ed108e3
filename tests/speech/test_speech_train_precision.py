"""``speech train --precision``: bf16 autocast training on the CPU learns as fp32 does, keeps float32 weights
and says how the model was trained (``--json``, the bundle's provenance); fp16 on the CPU is refused before
any work; a ``--config`` file's ``precision`` reaches the run and the flag wins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from carrousel.speech.cli import app
from carrousel.speech.recognizer import Recognizer
from tests.cli_harness import assert_clean_failure, config_of


def _tones(tmp_path: Path, write_wav: Any, tone: Any) -> Path:
    """8 one-second tones labelled "yes" / "no" in turn (the CLI tests' corpus)."""
    rows = ["path\ttranscript"]
    for i in range(8):
        write_wav(f"u{i}.wav", tone(1.0, freq=120.0 + 30 * i))
        rows.append(f"u{i}.wav\t{'yes' if i % 2 else 'no'}")
    (tmp_path / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path / "m.tsv"


def test_bf16_training_learns_keeps_float32_weights_and_is_recorded(
    invoke: Any, tmp_path: Path, write_wav: Any, tone: Any
) -> None:
    """40 steps on the tones: the CTC loss falls below a third of its first epoch's in bf16 (41 -> 9.4
    measured, as in fp32 within 0.1), the bundle holds float32 weights, records the precision and
    transcribes."""
    manifest = _tones(tmp_path, write_wav, tone)
    conf = tmp_path / "run.toml"
    conf.write_text("hidden = 16\nlayers = 1\nconv_channels = 16\nval_fraction = 0.0\nlr = 1e-2\n")
    conf.write_text(conf.read_text() + "batch_seconds = 8.0\nworkers = 0\n")
    args = ["train", "--data", manifest, "-o", tmp_path / "bf16", "--config", conf, "--epochs", "40"]
    outcome = invoke("speech", *args, "--no-augment", "--device", "cpu", "--precision", "bf16", "--json")
    assert outcome.code == 0, outcome.stderr
    doc = json.loads(outcome.stdout)
    assert doc["precision"] == "bf16"  # before: no --precision option, no such key
    losses = [h["train_loss"] for h in doc["history"]]
    assert losses[-1] < losses[0] / 3, losses
    bundle = json.loads((tmp_path / "bf16" / "bundle.json").read_text())
    assert bundle["data"]["config"]["precision"] == bundle["data"]["train"]["precision"] == "bf16"
    model = Recognizer.from_pretrained(tmp_path / "bf16")
    assert {p.dtype for p in model.model.parameters()} == {torch.float32}
    outcome = invoke("speech", "transcribe", tmp_path / "u0.wav", "--model", tmp_path / "bf16")
    assert outcome.code == 0, outcome.stderr


def test_fp16_on_the_cpu_is_refused_before_any_work(
    invoke: Any, tmp_path: Path, write_wav: Any, tone: Any
) -> None:
    manifest, out = _tones(tmp_path, write_wav, tone), tmp_path / "model"
    outcome = invoke(
        "speech", "train", "--data", manifest, "-o", out, "--device", "cpu", "--precision", "fp16"
    )
    assert_clean_failure(outcome, 1, "--precision bf16")
    assert not out.exists()


def test_help_lists_the_training_precision(invoke: Any) -> None:
    outcome = invoke("speech", "train", "--help")
    assert outcome.code == 0 and "--precision" in outcome.stdout and "float32" in outcome.stdout


@pytest.mark.parametrize(
    ("text", "flags", "precision"),
    [
        ('precision = "bf16"\n', [], "bf16"),
        ('precision = "bf16"\n', ["--precision", "fp32"], "fp32"),
        ("", [], "fp32"),
    ],
)
def test_the_config_files_precision_reaches_the_run_and_the_flag_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, flags: list[str], precision: str
) -> None:
    conf = tmp_path / "run.toml"
    conf.write_text(text + "epochs = 2\n", encoding="utf-8")
    argv = ["train", "--data", "m.tsv", "--out", str(tmp_path / "m"), "--config", str(conf), *flags]
    assert config_of(monkeypatch, app, "carrousel.speech.pipeline", "train", *argv).precision == precision


def test_a_wrong_precision_in_the_config_file_is_one_line(invoke: Any, tmp_path: Path) -> None:
    conf = tmp_path / "run.toml"
    conf.write_text('precision = "fp8"\n', encoding="utf-8")
    outcome = invoke("speech", "train", "--data", "m.tsv", "--out", tmp_path / "m", "--config", conf)
    assert_clean_failure(outcome, 1, "precision must be one of fp32, bf16, fp16")

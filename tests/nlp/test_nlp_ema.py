"""``nlp sentiment train --ema-decay``: weight averaging reaches core's Trainer, is recorded in the bundle
only when on, and a bad value is one line, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from typer.testing import CliRunner

from carrousel.core.train import TrainConfig
from carrousel.nlp.cli import app
from carrousel.nlp.config import FitConfig
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.common import train_config

runner = CliRunner()


def test_fit_config_maps_ema_decay_onto_core() -> None:
    assert train_config(FitConfig(ema_decay=0.999)).ema_decay == 0.999
    assert train_config(FitConfig()).ema_decay == TrainConfig().ema_decay == 0.0


def test_train_with_ema_decay_records_it_and_loads(tmp_path: Path, synthetic_csv: Path) -> None:
    base = ["sentiment", "train", "--data", str(synthetic_csv), "--tokenizer", "word", "--embed-dim", "8"]
    base += ["--hidden-size", "8", "--epochs", "2", "--json", "--quiet"]
    runs = {}
    for decay in ("0", "0.9"):
        out = tmp_path / f"m{decay}"
        result = runner.invoke(app, [*base, "--out", str(out), "--ema-decay", decay])
        assert result.exit_code == 0, result.output
        runs[decay] = json.loads((out / "bundle.json").read_text())["data"]
    assert "ema_decay" not in runs["0"]  # off: the bundle is as before
    assert runs["0.9"]["ema_decay"] == 0.9
    model = SentimentModel.from_pretrained(tmp_path / "m0.9")
    probs = model.predict_proba(["a fine film", "a dull film"])
    assert probs.shape == (2, 2) and torch.allclose(
        torch.as_tensor(probs).sum(1), torch.ones(2, dtype=torch.float64)
    )
    bad = runner.invoke(app, [*base, "--out", str(tmp_path / "bad"), "--ema-decay", "1"])
    assert bad.exit_code == 2 and "1 is outside 0<=x<1" in bad.output  # a usage error naming the range

"""``speech train --init-from``: fine-tuning starts from a model's weights, architecture and front end.

A few optimiser steps at a tiny learning rate cannot teach a new model anything (it outputs blanks:
CER 1.0), so a fine-tuned model that still reads held-out digit strings well proves that the shipped
weights were carried over; its bundle keeps the shipped architecture, alphabet and feature statistics.
"""

from __future__ import annotations

import logging

import numpy as np
from typer.testing import CliRunner

from carrousel.speech.cli import app
from carrousel.speech.config import EvaluateConfig, TrainConfig, TranscribeConfig
from carrousel.speech.pipeline import evaluate, train
from carrousel.speech.recognizer import Recognizer, shipped_model_path


def test_fine_tuning_keeps_the_shipped_weights(tmp_path, espeak, digit_corpus) -> None:
    data = digit_corpus(tmp_path / "train", ("en-us+m2", "en-gb+f1"), 8, seed=3)
    test = digit_corpus(tmp_path / "test", ("en-us+m4", "en-gb-x-rp+f5"), 6, seed=4)
    common = {"data": (data,), "val_fraction": 0.0, "epochs": 1, "max_steps": 2, "lr": 1e-5}
    common |= {"batch_seconds": 8.0, "device": "cpu", "workers": 0}
    tuned = train(TrainConfig(**common, init_from=str(shipped_model_path())), tmp_path / "tuned")
    fresh = train(TrainConfig(**common, hidden=32, layers=1, conv_channels=32), tmp_path / "fresh")
    assert tuned.steps == fresh.steps == 2
    shipped, model = Recognizer.from_pretrained(None), Recognizer.from_pretrained(tmp_path / "tuned")
    assert model.model.config == shipped.model.config and model.alphabet == shipped.alphabet
    assert model.features == shipped.features and np.array_equal(model.mean, shipped.mean)
    cer = {
        name: evaluate(
            EvaluateConfig(data=(test,), transcribe=TranscribeConfig(model=str(tmp_path / name)))
        ).totals.cer
        for name in ("tuned", "fresh")
    }
    assert cer["tuned"] < 0.3 and cer["fresh"] > 0.9, cer


def test_init_from_a_folder_that_is_not_a_model(tmp_path, write_wav, tone) -> None:
    write_wav("a.wav", tone(1.0))
    (tmp_path / "m.tsv").write_text("path\ttranscript\na.wav\tgo\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    args = ["train", "--data", str(tmp_path / "m.tsv"), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--init-from", str(tmp_path / "empty"), "--threads", "1"])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert "error:" in result.output and str(tmp_path / "empty") in result.output


def test_train_help_names_init_from() -> None:
    assert "--init-from" in CliRunner().invoke(app, ["train", "--help"]).output


def test_fine_tuning_names_letters_its_alphabet_cannot_write(tmp_path, write_wav, tone, caplog) -> None:
    # before: "café" was trained as "caf" (the kept alphabet has no 'é') and nothing said so
    for name in ("a", "b"):
        write_wav(f"{name}.wav", tone(1.5))
    (tmp_path / "m.tsv").write_text("path\ttranscript\na.wav\tcafé noir\nb.wav\tgo left\n", encoding="utf-8")
    common = {"data": (str(tmp_path / "m.tsv"),), "val_fraction": 0.0, "epochs": 1, "max_steps": 1}
    common |= {"batch_seconds": 8.0, "device": "cpu", "workers": 0}
    with caplog.at_level(logging.WARNING, logger="carrousel.speech.text"):
        train(TrainConfig(**common, init_from=str(shipped_model_path())), tmp_path / "tuned")
    (warning,) = [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]
    assert warning.startswith("1 of 4 training words hold letters the model cannot write ('é')"), warning
    assert "init_from" in warning, warning  # the fix, named as a Python caller names it
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.speech.text"):
        train(TrainConfig(**common, hidden=8, layers=1, conv_channels=8), tmp_path / "fresh")  # learns 'é'
    assert not [r for r in caplog.records if "cannot write" in r.getMessage()]

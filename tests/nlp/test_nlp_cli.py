"""The nlp CLI follows the conventions: -h, --version, exit codes 0/1/2, one-line errors, strict JSON."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from carrousel.nlp.cli import app
from tests.cli_harness import assert_training_outputs
from tests.nlp.conftest import Run

runner = CliRunner()


def test_help_and_version(nlp: Callable[..., Run]) -> None:
    for args in (
        ["-h"],
        ["sentiment", "-h"],
        ["sentiment", "train", "-h"],
        ["generate", "run", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output, args
    assert "attention|mean|last|max" in runner.invoke(app, ["sentiment", "train", "-h"]).output
    for args in ([], ["sentiment"], ["generate"]):  # no command: the help, exit 0
        bare = nlp(*args)
        assert bare.returncode == 0 and "Usage" in bare.stdout, args
    assert nlp("--version").stdout.startswith("carrousel-nlp ")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}  # the console entry point, once for real
    code = "import sys; from carrousel.nlp.cli import main; sys.argv[1:] = ['--version']; main()"
    real = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert real.returncode == 0 and real.stdout.startswith("carrousel-nlp ")


def test_usage_errors_exit_2_with_one_line(nlp: Callable[..., Run], sentiment_model: Path) -> None:
    for args in (
        ["sentiment", "predict", "--model", str(sentiment_model)],  # no text
        ["sentiment", "train", "--out", "x", "--pooling", "median", "--data", "d.csv"],
        ["generate", "run", "--model", "m", "--top-p", "1.5"],
        ["sentiment", "predict", "--bogus"],
        ["sentiment", "predict", "--precision", "int4", "a text"],
    ):
        result = nlp(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "--help" in result.stderr


def test_data_errors_exit_1_with_one_line(
    nlp: Callable[..., Run], tmp_path: Path, sentiment_model: Path, write_rows: Any
) -> None:
    data = write_rows(tmp_path / "d.csv", [("good", "pos")], header=("words", "label"))
    cases = [
        (
            ["sentiment", "train", "--data", str(data), "--out", str(tmp_path / "m")],
            "columns found: 'words', 'label'",
        ),
        (["sentiment", "predict", "--model", str(tmp_path / "none"), "hi"], "not found"),
        (
            ["generate", "run", "--model", str(sentiment_model)],
            "holds a model of kind nlp.sentiment, not nlp.lm;",
        ),
    ]
    if not torch.cuda.is_available():  # fp16 is for GPUs: on the CPU a one-line error, not a silent bf16
        cases.append((["sentiment", "predict", "--precision", "fp16", "hi"], "use --precision bf16"))
    for args, expected in cases:
        result = nlp(*args)
        assert result.returncode == 1, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
        assert result.stdout == ""
    # a usage error since session 41
    blank = nlp("sentiment", "predict", "--model", str(sentiment_model), " ")
    assert blank.returncode == 2 and blank.stdout == "", blank.stderr
    assert blank.stderr.count("\n") == 1 and "a text of whitespace only" in blank.stderr, blank.stderr


def test_predict_json_is_strict_and_complete(sentiment_model: Path, tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("the film was not good\nreally brilliant cast\n")
    result = runner.invoke(
        app, ["sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "--json"]
    )
    assert result.exit_code == 0, result.output
    whole = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    # an object, as every command's --json (before: a bare list of the predictions)
    assert list(whole) == ["trained_precision", "precision", "predictions"], whole
    doc = whole["predictions"]
    assert [d["label"] for d in doc] == ["neg", "pos"]
    keys = {
        "text",
        "label",
        "probabilities",
        "tokens",
        "attention",
        "truncated",
        "read",
        "sentences",
        "unknown_only",
    }
    assert set(doc[0]) == keys | {"trained_precision", "precision"}  # the model's and the run's arithmetic
    assert [(d["read"], d["sentences"]) for d in doc] == [("whole", 1)] * 2  # short texts: read whole
    assert sum(doc[1]["attention"]) == pytest.approx(1.0, abs=1e-4) and len(doc[1]["tokens"]) == 3
    probs = [p for d in doc for p in d["probabilities"].values()]  # 4 places, as every --json (before: 17)
    assert all(p == round(p, 4) for p in probs) and any(0 < p < 1 for p in probs)
    plain = runner.invoke(app, ["sentiment", "predict", "--model", str(sentiment_model), "a lovely film"])
    assert plain.exit_code == 0 and plain.stdout.startswith("pos\t")


def test_train_evaluate_and_generate_commands(
    tmp_path: Path, synthetic_csv: Path, lm_model: Path, small_text: Path
) -> None:
    out = tmp_path / "model"
    args = ["sentiment", "train", "--data", str(synthetic_csv), "--out", str(out), "--tokenizer", "word"]
    args += ["--embed-dim", "8", "--hidden-size", "8", "--epochs", "1", "--json", "--quiet"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["labels"] == ["neg", "pos"]
    assert_training_outputs(out, 1)  # history.csv and training.png beside the bundle (loaded below)
    assert_training_outputs(lm_model, 6)  # nlp generate train's (the fixture; generate run loads it below)
    ev = runner.invoke(app, ["sentiment", "evaluate", "--model", str(out), "--data", str(synthetic_csv)])
    assert ev.exit_code == 0 and "accuracy" in ev.stdout and "confusion" in ev.stdout
    assert "calibration log loss " in ev.stdout and ", Brier " in ev.stdout and ", ECE " in ev.stdout
    gen = runner.invoke(
        app, ["generate", "run", "--model", str(lm_model), "-p", "The ", "--max-tokens", "20", "--seed", "3"]
    )
    assert gen.exit_code == 0 and gen.stdout.startswith("The ")
    again = runner.invoke(
        app, ["generate", "run", "--model", str(lm_model), "-p", "The ", "--max-tokens", "20", "--seed", "3"]
    )
    assert again.stdout == gen.stdout
    as_json = runner.invoke(
        app, ["generate", "run", "--model", str(lm_model), "--max-tokens", "5", "--seed", "3", "--json"]
    )
    assert set(json.loads(as_json.stdout)) == {"prompt", "text", "seed", "trained_precision", "precision"}
    lm_eval = runner.invoke(
        app, ["generate", "evaluate", "--model", str(lm_model), "--text", str(small_text), "--orders", "1,2"]
    )
    assert lm_eval.exit_code == 0 and "unigram" in lm_eval.stdout and "verdict" in lm_eval.stdout


def test_config_file_then_flags_and_exclude(
    tmp_path: Path,
    synthetic_csv: Path,
    synthetic: Any,
    write_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    held = write_rows(tmp_path / "held.csv", synthetic(30, seed=0)[:30])  # the first 30 training rows
    toml = tmp_path / "run.toml"
    toml.write_text(
        f'[data]\nsource = "{synthetic_csv}"\n[tokenizer]\nkind = "char"\nvocab_size = 64\n'
        '[model]\nembed_dim = 8\nhidden_size = 8\npooling = "mean"\n[fit]\nepochs = 1\nbatch_size = 64\n'
    )
    out = tmp_path / "m"
    args = ["sentiment", "train", "--config", str(toml), "--hidden-size", "6", "--out", str(out)]
    for name in ("matplotlib", "matplotlib.pyplot"):  # without the plot extra: the table, no chart
        monkeypatch.setitem(sys.modules, name, None)
    charts = logging.getLogger("carrousel.core.plots")  # the CLI's own handler stops propagation above it
    charts.addHandler(caplog.handler)
    try:
        result = runner.invoke(app, [*args, "--exclude", str(held), "--json"])
    finally:
        charts.removeHandler(caplog.handler)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["train_rows"] + doc["val_rows"] < 400  # the held-out texts were kept out
    assert_training_outputs(out, doc["epochs"], png=False)
    said = [r.getMessage() for r in caplog.records if "training.png" in r.getMessage()]
    assert len(said) == 1 and "pip install 'carrousel-nlp[plot]'" in said[0], said
    manifest = json.loads((out / "bundle.json").read_text())
    net = manifest["config"]["net"]
    assert (net["embed_dim"], net["hidden_size"], net["pooling"]) == (8, 6, "mean")  # file, flag, file
    assert manifest["assets"]["tokenizer_kind"] == "char"
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nhidden = 3\n")
    failed = runner.invoke(
        app, ["sentiment", "train", "--config", str(bad), "--data", str(synthetic_csv), "--out", str(out)]
    )
    assert failed.exit_code == 1 and "unknown option(s) hidden" in failed.output


def test_training_bars_follow_cores_one_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """nlp asks core's bars_on() (rich's view of stderr, as bio, finance and speech do), where it asked
    sys.stderr.isatty(): a stderr rich calls a terminal gets the trainer's bar, -q none (main: False)."""
    import io

    from rich.console import Console

    from carrousel.core import cli as core_cli
    from carrousel.core.errors import CarrouselError
    from carrousel.nlp.pipeline import generate

    asked: list[bool] = []

    def spy(cfg: Any, out: object) -> None:
        asked.append(cfg.fit.progress)
        raise CarrouselError("stop here")

    monkeypatch.setattr(generate, "train_lm", spy)
    (text := tmp_path / "t.txt").write_text("some text to learn from\n" * 20)
    for terminal, quiet in ((True, False), (True, True), (False, False)):
        monkeypatch.setattr(core_cli, "stderr", Console(file=io.StringIO(), force_terminal=terminal))
        args = ["generate", "train", "-t", str(text), "-o", str(tmp_path / "m"), *(["-q"] if quiet else [])]
        assert runner.invoke(app, args).exit_code == 1
    assert asked == [True, False, False]

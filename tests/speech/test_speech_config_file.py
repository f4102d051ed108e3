"""``speech train --config FILE``: every option the file sets reaches the run (also those a flag with a
default covers), a value of the wrong kind is one line naming it, and a FIFO is refused before it is read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from carrousel.speech.cli import app
from tests.cli_harness import assert_clean_failure, config_of


def _config_of(monkeypatch: pytest.MonkeyPatch, *argv: str) -> Any:
    """The config ``speech *argv`` hands to the pipeline's ``train`` (replaced, so nothing runs)."""
    return config_of(monkeypatch, app, "carrousel.speech.pipeline", "train", *argv)


def _train(tmp_path: Path, text: str) -> list[str]:
    conf = tmp_path / "run.toml"
    conf.write_text(text, encoding="utf-8")
    return ["train", "--data", "m.tsv", "--out", str(tmp_path / "m"), "--config", str(conf)]


def test_the_files_device_reaches_the_run_and_flags_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    args = _train(tmp_path, 'device = "cpu"\nepochs = 3\n[features]\nn_mels = 24\n')
    cfg = _config_of(monkeypatch, *args)  # before: the --device default (auto) replaced the file's cpu
    assert (cfg.device, cfg.epochs, cfg.features.n_mels, cfg.hidden) == ("cpu", 3, 24, 160)
    cfg = _config_of(monkeypatch, *args, "--device", "cuda", "--epochs", "2")
    assert (cfg.device, cfg.epochs) == ("cuda", 2)
    assert _config_of(monkeypatch, *args[:-2]).device == "auto"  # the command's default without a file


@pytest.mark.parametrize("text", ['features = "mfcc"\n', "features = 3\n"])
def test_a_features_value_that_is_no_table_is_one_line(invoke: Any, tmp_path: Path, text: str) -> None:
    outcome = invoke("speech", *_train(tmp_path, text))  # before: "internal error (ValueError/TypeError...)"
    assert_clean_failure(outcome, 1, "features")
    assert "internal error" not in outcome.stderr


def test_a_fifo_is_refused(invoke: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # before: opened and read, which waits forever without a writer
    outcome = invoke("speech", "train", "--data", "m.tsv", "--out", tmp_path / "m", "--config", fifo)
    assert_clean_failure(outcome, 1, "is a FIFO")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('epochs = "ten"\n', "epochs in cfg.toml: expected an integer, got 'ten'"),
        ('[features]\nn_mels = "many"\n', "[features] n_mels in cfg.toml: expected an integer, got 'many'"),
    ],
)
def test_a_wrong_value_names_the_file_the_table_and_the_key(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cfg.toml").write_text(text)
    outcome = invoke("speech", "train", "--data", "m.tsv", "--out", "m", "--config", "cfg.toml")
    assert_clean_failure(outcome, 1)  # before: "TrainConfig.epochs: expected int, got 'ten'"
    assert outcome.error_lines() == [f"error: {message}"]


def test_the_files_data_reaches_the_run_and_data_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The file's ``data`` was accepted and never used: --data was required and always replaced it."""
    args = _train(tmp_path, 'data = ["a.tsv", "b.tsv"]\nval_data = ["v.tsv"]\n')
    cfg = _config_of(monkeypatch, args[0], *args[3:])  # without "--data m.tsv"
    assert (cfg.data, cfg.val_data) == (("a.tsv", "b.tsv"), ("v.tsv",))
    assert _config_of(monkeypatch, *args).data == ("m.tsv",)  # typed, it wins as every flag


@pytest.mark.parametrize("text", [None, "epochs = 2\n"])
def test_no_corpus_anywhere_is_a_usage_error(invoke: Any, tmp_path: Path, text: str | None) -> None:
    argv = ["train", "--out", str(tmp_path / "m")]
    if text is not None:
        (conf := tmp_path / "run.toml").write_text(text)
        argv += ["--config", str(conf)]
    assert_clean_failure(invoke("speech", *argv), 2, "data in the --config file")
    assert not (tmp_path / "m").exists()


def test_a_missing_corpus_of_the_file_names_the_setting_and_the_file(invoke: Any, tmp_path: Path) -> None:
    """Before: 'error: --data /x/gone.tsv: no such file or folder', naming a flag that was never typed (the
    corpora came from the file's ``data``). Typed with --data, the message still names --data."""
    gone = tmp_path / "gone.tsv"
    conf = tmp_path / "run.toml"
    conf.write_text(f'data = ["{gone.as_posix()}"]\nepochs = 1\n', encoding="utf-8")
    outcome = invoke("speech", "train", "--out", str(tmp_path / "m"), "--config", str(conf))
    assert_clean_failure(outcome, 1, f"data in {conf}: {gone}: no such file or folder")
    assert "--data" not in outcome.stderr
    typed = invoke("speech", "train", "--out", str(tmp_path / "t"), "--data", str(gone))
    assert_clean_failure(typed, 1, f"--data {gone}: no such file or folder")
    assert not (tmp_path / "m").exists() and not (tmp_path / "t").exists()

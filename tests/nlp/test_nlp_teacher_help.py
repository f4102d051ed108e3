"""``nlp sentiment train --help``: each ``--teacher`` option names the ``[teacher]`` key of a ``--config`` file that
sets it, and ``--teacher`` says the table turns distillation on.

Before, the help of ``--teacher``, ``--augment``, ``--alpha``... never said that a config file's ``[teacher]``
table can set them (or that it turns distillation on without ``--teacher``): a user read it only in the code.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from typer.main import get_command

from carrousel.nlp.cli import app
from carrousel.nlp.config import TeacherConfig
from carrousel.nlp.pipeline import sentiment
from tests.cli_harness import config_of

# The options only --teacher (or a [teacher] table) reads: their help starts with "--teacher".
TEACHER_OPTIONS = {
    "--unlabelled": "unlabelled",
    "--ruled": "ruled",
    "--augment": "augment",
    "--temperature": "temperature",
    "--alpha": "alpha",
    "--balance": "balance",
    "--oov-fallback": "oov_fallback",
    "--hint": "hint",
}


def _helps() -> dict[str, str]:
    train = get_command(app).commands["sentiment"].commands["train"]  # type: ignore[attr-defined]
    return {p.opts[0]: " ".join((getattr(p, "help", None) or "").split()) for p in train.params if p.opts}


def test_each_teacher_option_names_its_teacher_table_key() -> None:
    helps = _helps()
    fields = {f.name for f in dataclasses.fields(TeacherConfig)}
    assert {o for o, h in helps.items() if h.startswith("--teacher")} == set(TEACHER_OPTIONS)
    for option, key in TEACHER_OPTIONS.items():
        assert key in fields, key
        assert re.search(rf"\[teacher\] {key}\b", helps[option]), (option, helps[option])
    assert "[teacher] table" in helps["--teacher"] and "flags win" in helps["--teacher"]


def test_the_keys_the_help_names_reach_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The help is true: a [teacher] table alone (no --teacher) turns distillation on with its values."""
    (tmp_path / "u.txt").write_text("a text\n", encoding="utf-8")
    conf = tmp_path / "run.toml"
    conf.write_text(
        '[teacher]\nname = "minilm"\nunlabelled = ["u.txt"]\naugment = 2\ntemperature = 3.0\nalpha = 0.5\n'
        "balance = false\nhint = 0.25\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    argv = ["sentiment", "train", "-o", str(tmp_path / "m"), "--data", "x.csv", "--config", str(conf)]
    tea = config_of(monkeypatch, app, sentiment, "train_sentiment", *argv).teacher
    assert (tea.name, tea.augment, tea.temperature, tea.alpha, tea.balance, tea.hint) == (
        "minilm",
        2,
        3.0,
        0.5,
        False,
        0.25,
    )
    assert [Path(u).name for u in tea.unlabelled] == ["u.txt"]

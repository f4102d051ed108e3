"""An option that names an output FOLDER refuses ``-`` (and every other name of stdout) before any work, in every CLI.

``-`` means standard output for file options (``bio scan -o -``); a folder cannot go there. Before, ``nlp
sentiment evaluate -o -`` scored the data and ``speech synth-corpus -o -`` synthesised the corpus, then
both wrote a folder literally named ``-`` in the working directory, without a word.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.core.atomic import atomic_dir
from carrousel.core.cli_values import OutputFolder
from carrousel.core.errors import ConfigError
from carrousel.core.files import check_output_dir
from tests.cli_harness import Outcome, assert_clean_failure
from tests.hardening.test_train_out_folder import _generate, _sentiment


def _eval_data(d: Path) -> Path:
    (d / "e.csv").write_text("text,label\ngood film,positive\nbad film,negative\n")
    return d / "e.csv"


CASES: dict[str, Callable[[Path], list[str | Path]]] = {
    "nlp-sentiment-evaluate": lambda d: ["nlp", "sentiment", "evaluate", "--data", _eval_data(d)],
    "nlp-sentiment-export": lambda d: ["nlp", "sentiment", "export"],
    "nlp-sentiment-train": _sentiment,
    "nlp-generate-train": _generate,
    "speech-synth-corpus": lambda d: ["speech", "synth-corpus", "-n", "2"],
    "speech-export": lambda d: ["speech", "export"],
    "bio-export": lambda d: ["bio", "export"],
    "finance-export": lambda d: ["finance", "export", "--model-dir", d],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dash_as_an_output_folder_is_refused_before_any_work(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    work: list[Any] = []
    import carrousel.speech.synth as synth
    from carrousel.core.train import Trainer
    from carrousel.nlp.pipeline.sentiment import SentimentModel

    monkeypatch.setattr(Trainer, "fit", lambda *a, **k: work.append("fit"))
    monkeypatch.setattr(synth, "synthesize", lambda *a, **k: work.append("synthesize"))
    monkeypatch.setattr(SentimentModel, "predict_proba", lambda *a, **k: work.append("predict"))
    prog, *args = CASES[case](tmp_path)
    monkeypatch.chdir(tmp_path)
    outcome = invoke(prog, *args, "--out", "-")
    assert_clean_failure(outcome, 2, "'--out': this option writes a folder")
    assert "give a folder path instead" in outcome.stderr
    assert not (tmp_path / "-").exists(), "a folder named '-' was created"
    assert work == [], f"work was done before the refusal: {work}"


# commands whose folder option is checked before their other arguments (the value alone is refused)
MORE: dict[str, tuple[list[str], str]] = {
    "bio-train": (["bio", "train"], "--out"),
    "bio-discover": (["bio", "discover"], "--out"),
    "finance-forecast": (["finance", "forecast"], "--out"),
    "finance-backtest": (["finance", "backtest"], "--out"),
    "finance-train-global": (["finance", "train-global", "--data", "x.csv"], "--model-dir"),
    "speech-train": (["speech", "train"], "--out"),
}


@pytest.mark.parametrize("case", sorted(MORE))
def test_dev_stdout_as_the_folder_of_any_domain_gets_one_message(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    (prog, *args), flag = MORE[case]
    monkeypatch.chdir(tmp_path)
    outcome = invoke(prog, *args, flag, "/dev/stdout")
    assert_clean_failure(outcome, 2, "standard output ('/dev/stdout') cannot hold a folder")
    assert f"'{flag}': this option writes a folder" in outcome.stderr


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_name_of_stdout_as_an_output_folder_gets_one_message(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, name: str
) -> None:
    """Before, only ``-`` was refused: ``--out /dev/stdout`` got a message that depended on what stdout was
    ("/dev/stdout is a FIFO (named pipe), not a folder", "... is a file ...")."""
    prog, *args = CASES[case](tmp_path)
    monkeypatch.chdir(tmp_path)
    outcome = invoke(prog, *args, "--out", name)
    assert_clean_failure(outcome, 2, "standard output")
    assert f"'--out': this option writes a folder, and standard output ('{name}') cannot hold a folder" in (
        outcome.stderr
    )
    assert "give a folder path instead" in outcome.stderr


def _run_cli(prog: str, args: list[str], stdout: Any, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m carrousel.PROG.cli ARGS`` in ``cwd``, its stdout a pipe or an open file (the shell's
    redirection, which the in-process ``invoke`` cannot give), its stderr read."""
    return subprocess.run(
        [sys.executable, "-m", f"carrousel.{prog}.cli", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300", "OMP_NUM_THREADS": "1"},
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("stdout", ["pipe", "file"])
def test_the_message_does_not_depend_on_what_stdout_is(tmp_path: Path, stdout: str) -> None:
    sink = tmp_path / "stdout.txt"
    with open(sink, "w") as fh:
        done = _run_cli(
            "bio", ["export", "--out", "/dev/stdout"], subprocess.PIPE if stdout == "pipe" else fh, tmp_path
        )
    assert done.returncode == 2, done.stderr
    assert "standard output ('/dev/stdout') cannot hold a folder; give a folder path" in done.stderr
    assert "not a folder" not in done.stderr
    assert sink.read_text() == ""


# one folder option per program, the command line before its value
REDIRECTED = {
    "bio": ["export", "--out"],
    "finance": ["export", "--model-dir", "m", "--out"],
    "nlp": ["sentiment", "export", "--out"],
    "speech": ["synth-corpus", "-n", "2", "--out"],
}


@pytest.mark.parametrize("prog", sorted(REDIRECTED))
def test_the_file_stdout_is_redirected_to_is_stdout_for_a_folder_option(tmp_path: Path, prog: str) -> None:
    """``cmd --out f > f``: the folder is the very file stdout goes to (core's names_stdout reads it as
    stdout), so every program's folder option refuses it as it refuses ``/dev/stdout``: a usage error before
    any work. Before: exit 1, "--out f is a file, not a folder" (the shell had created ``f``)."""
    sink = tmp_path / "f"
    with open(sink, "w") as fh:
        done = _run_cli(prog, [*REDIRECTED[prog], "f"], fh, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "this option writes a folder, and standard output ('f') cannot hold a folder" in done.stderr
    assert "not a folder" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert sink.read_text() == "" and sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_core_folder_writers_refuse_dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="--model-dir writes a folder"):
        check_output_dir("-", "--model-dir")
    with pytest.raises(ConfigError, match="writes a folder"), atomic_dir("-"):
        pass
    with pytest.raises(
        ConfigError, match=r"--model-dir writes a folder, and standard output \('/dev/stdout'\)"
    ):
        check_output_dir("/dev/stdout", "--model-dir")
    with pytest.raises(ConfigError, match="cannot hold a folder"), atomic_dir("/dev/fd/1"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_every_output_folder_option_is_marked() -> None:
    """Each ``--out`` / ``--model-dir`` whose help names a folder carries the marker (so ``-`` is refused);
    file outputs (``- for stdout``) do not."""
    from tests.test_cli_conventions import COMMANDS, _params

    marked, unmarked = [], []
    for prog, *path in COMMANDS:
        for p in _params(prog, tuple(path)):
            name, help_ = getattr(p, "name", ""), getattr(p, "help", None) or ""
            if name not in ("out", "model_dir"):
                continue
            callback = _callback(prog, tuple(path))
            meta = getattr(callback.__annotations__[name], "__metadata__", ())
            is_marked = any(isinstance(m, OutputFolder) for m in meta)
            reads = ("to export", "(train-global or forecast)")  # finance's input --model-dir
            writes_folder = "folder" in help_.lower() and not help_.endswith(tuple(r + "." for r in reads))
            (marked if is_marked else unmarked).append((prog, *path, name, writes_folder))
    assert all(w for *_, w in marked), [m for m in marked if not m[-1]]
    assert not [u for u in unmarked if u[-1]], "output folder options without OutputFolder()"
    assert len(marked) >= 16


def _callback(prog: str, path: tuple[str, ...]) -> Any:
    from typer.main import get_command

    cmd: Any = get_command(__import__(f"carrousel.{prog}.cli", fromlist=["app"]).app)
    for name in path:
        cmd = cmd.commands[name]
    return cmd.callback

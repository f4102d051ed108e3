"""A command started with stdout closed (``cmd >&-``) is refused before its work: one ``error:`` line naming
``> /dev/null``, exit 1, nothing trained nor written (carrousel.core.cli_start.refuse_closed_stdout).

On main the command ran to its first print, after the work: ``finance forecast`` trained and wrote its run
and model folders, ``nlp sentiment train`` its model, and only then exited 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_harness import assert_stdout_closed_refused, run_stdout_closed

_FINANCE = ["forecast", "AAPL", "--source", "sample", "--horizon", "3", "--lookback", "10", "--epochs", "2",
            "--hidden", "8", "--test-days", "40", "--refit-every", "20", "--members", "2"]  # fmt: skip
_NLP = ["sentiment", "train", "--data", "DATA", "--out", "model", "--tokenizer", "word",
        "--embed-dim", "8", "--hidden-size", "8", "--epochs", "3"]  # fmt: skip


def _nlp_data(path: Path) -> Path:
    rows = [
        f"{'good great fine' if i % 2 else 'bad awful poor'} item {i},{'pos' if i % 2 else 'neg'}"
        for i in range(200)
    ]
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("package", "args"),
    [
        ("carrousel.finance", [*_FINANCE, "-o", "run", "--model-dir", "model"]),
        ("carrousel.nlp", _NLP),
    ],
)
def test_a_training_with_a_closed_stdout_is_refused_before_it_trains(
    tmp_path: Path, package: str, args: list[str]
) -> None:
    data = _nlp_data(tmp_path / "data.csv")
    work = tmp_path / "work"
    work.mkdir()
    r, seconds = run_stdout_closed(["-m", package, *[str(data) if a == "DATA" else a for a in args]], work)
    assert_stdout_closed_refused(r)
    assert list(work.iterdir()) == [], "no run folder, no model folder"
    assert seconds < 20, seconds  # the start-up alone (no torch import): well under a training's time


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_with_a_closed_stdout_are_refused_too(tmp_path: Path, flag: str) -> None:
    """They print only on stdout: the same line tells why nothing shows (not a help text lost in silence)."""
    assert_stdout_closed_refused(run_stdout_closed(["-m", "carrousel.finance", flag], tmp_path)[0])

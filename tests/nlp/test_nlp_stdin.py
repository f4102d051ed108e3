"""``--file -`` reads the texts from standard input (and ``--file`` a pipe, e.g. a shell's ``<(cut ...)``).

Before, both were refused ("is a FIFO, not a regular text file; save the data to a file first"), so
``cut -f2 reviews.tsv | nlp sentiment predict --file -`` needed a temporary file. Texts are read in one pass.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.nlp.cli import app
from tests.nlp.conftest import Run
from tests.nlp.translate_toys import cli_translator

TEXTS = ["a moving film", "dull and far too long", "not bad at all"]


class _Pipe(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


def test_sentiment_predict_reads_stdin_and_pipes(
    nlp: Callable[..., Run], sentiment_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = nlp("sentiment", "predict", "--model", str(sentiment_model), *TEXTS)
    assert given.returncode == 0 and len(given.stdout.splitlines()) == 3
    monkeypatch.setattr(sys, "stdin", _Pipe(io.BytesIO("\n".join(TEXTS).encode() + b"\n")))
    piped = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", "-")
    assert (piped.returncode, piped.stdout) == (0, given.stdout)
    fifo = tmp_path / "texts"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("\n".join(TEXTS) + "\n"))
    writer.start()
    from_fifo = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", str(fifo))
    writer.join()
    assert (from_fifo.returncode, from_fifo.stdout) == (0, given.stdout)


def test_translate_run_reads_stdin(tmp_path: Path) -> None:
    model = cli_translator(tmp_path)
    runner = CliRunner()
    given = runner.invoke(app, ["translate", "run", "--model", str(model), "--beam", "1", "abc", "cab"])
    assert given.exit_code == 0, given.output
    piped = runner.invoke(
        app, ["translate", "run", "--model", str(model), "--beam", "1", "--file", "-"], input="abc\ncab\n"
    )
    assert piped.exit_code == 0 and piped.stdout == given.stdout

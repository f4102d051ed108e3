"""``nlp translate run --file`` streams: lines are translated block by block and each block is written
before the next is translated (text, and --json inside the one document), so memory is bounded by a block.

Before, every translation of the file (with n-best hypotheses and attention) was held until the end and
nothing was printed meanwhile; with a 3,000-line file the peak RSS was 3.99 GB (1.38 GB now, with core's
beam search no longer keeping each batch's history alive).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import carrousel.nlp.cli.translate as cli_translate
from carrousel.nlp.cli import app
from carrousel.nlp.pipeline.translate import Translator
from tests.nlp.translate_toys import cli_translator

runner = CliRunner()


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cli_translator(tmp_path_factory.mktemp("stream"))


@pytest.mark.parametrize("as_json", [False, True])
def test_file_is_translated_and_written_block_by_block(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    seen: list[tuple[int, int]] = []  # (texts in the call, pieces written before it)
    written: list[str] = []
    echo, translate = cli_translate.echo, Translator.translate

    def recording_echo(text: str, nl: bool = True) -> None:
        written.append(text)
        echo(text, nl=nl)

    def recording_translate(self: Translator, texts: list[str], *args: object, **kwargs: object) -> object:
        seen.append((len(texts), len(written)))
        return translate(self, texts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_translate, "echo", recording_echo)
    monkeypatch.setattr(Translator, "translate", recording_translate)
    monkeypatch.setattr(cli_translate, "RUN_BLOCK_BATCHES", 2, raising=False)
    lines = [f"open {'the ' * (i % 3)}file" for i in range(11)]
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(lines) + "\n")
    args = [
        "translate",
        "run",
        "--model",
        str(model),
        "--file",
        str(texts),
        "--batch-size",
        "2",
        "--beam",
        "2",
    ]
    result = runner.invoke(app, args + (["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert [n for n, _ in seen] == [4, 4, 3]  # blocks of batch_size x RUN_BLOCK_BATCHES lines
    # each block out before the next; --json: the document's head goes out with the first translation,
    # so nothing is written before the first block (a refused text leaves no half document)
    assert [before for _, before in seen] == [0, 4, 8]
    if as_json:
        doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
        assert doc["beam"] == 2 and [t["source"] for t in doc["translations"]] == lines
    else:
        assert len(result.stdout.splitlines()) == len(lines)

"""``nlp sentiment predict --file`` streams: texts are classified block by block and each block is written
before the next is classified, so memory is bounded by a block, not by the file.

Before, every prediction (tokens, attention, probabilities) of the whole file was held until the end: on
100,000 lines the peak RSS was 1.44 GB (0.93 GB after) and nothing was printed for the whole run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import carrousel.nlp.cli.sentiment as cli_sentiment
from carrousel.core.cli_values import JsonListWriter
from carrousel.nlp.cli import app
from carrousel.nlp.pipeline.sentiment import SentimentModel
from tests.cli_harness import Outcome, invoke  # noqa: F401  (the fixture)

runner = CliRunner()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """``(texts in the call, pieces written to stdout before it)`` for each call of the model."""
    seen: list[tuple[int, int]] = []
    written: list[str] = []
    echo, call = cli_sentiment.echo, SentimentModel.__call__

    def recording_echo(text: str, nl: bool = True) -> None:
        written.append(text)
        echo(text, nl=nl)

    def recording_call(self: SentimentModel, texts: list[str], *args: object, **kwargs: object) -> object:
        seen.append((len(texts), len(written)))
        return call(self, texts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_sentiment, "echo", recording_echo)
    monkeypatch.setattr(SentimentModel, "__call__", recording_call)
    monkeypatch.setattr(cli_sentiment, "PREDICT_BLOCK_BATCHES", 2, raising=False)
    return seen


@pytest.mark.parametrize("as_json", [False, True])
def test_file_is_classified_and_written_block_by_block(
    sentiment_model: Path, tmp_path: Path, calls: list[tuple[int, int]], as_json: bool
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"review {i} was really brilliant\n" for i in range(11)))
    args = ["sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "--batch-size=2"]
    result = runner.invoke(app, args + (["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert [n for n, _ in calls] == [4, 4, 3]  # blocks of batch_size x PREDICT_BLOCK_BATCHES texts
    assert [before for _, before in calls] == [0, 4, 8]  # each block written before the next is classified
    if as_json:
        doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
        assert [d["text"] for d in doc["predictions"]] == texts.read_text().splitlines()
    else:
        assert [line.split("\t")[2] for line in result.stdout.splitlines()] == texts.read_text().splitlines()


def test_one_truncation_warning_over_all_blocks(
    sentiment_model: Path,
    tmp_path: Path,
    calls: list[tuple[int, int]],
    invoke: Callable[..., Outcome],  # noqa: F811
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("a good long film with a fine cast\n" * 9 + "ok\n")
    args = ["sentiment", "predict", "--model", sentiment_model, "--file", texts, "--batch-size", "2"]
    outcome = invoke("nlp", *args, "--max-length", "3")
    assert outcome.code == 0, outcome.stderr
    assert len(calls) == 3
    warnings = [line for line in outcome.stderr.splitlines() if "truncated" in line]
    assert len(warnings) == 1, outcome.stderr
    assert "9 of 10 texts are longer than 3 tokens and were truncated" in warnings[0]


@pytest.mark.parametrize("items", [[], [{"a": [1, 2.5], "b": "x\ny"}], [1, {"n": None}, ["s", {"t": []}]]])
def test_json_list_writer_matches_json_dumps(items: list[object]) -> None:
    pieces: list[str] = []
    writer = JsonListWriter(pieces.append)
    for item in items:
        writer.add(item)
    writer.close()
    assert "".join(pieces) == json.dumps(items, indent=2) + "\n"
    pieces.clear()
    nested = JsonListWriter(pieces.append, within={"beam": 5}, key="translations")  # as translate run
    for item in items:
        nested.add(item)
    nested.close()
    assert "".join(pieces) == json.dumps({"beam": 5, "translations": items}, indent=2) + "\n"

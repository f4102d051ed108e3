"""``nlp sentiment predict --file`` of a text file holding blank lines: one output row per line, a blank line
an empty one (an empty line; in ``--json`` an entry with ``label`` null and no probabilities), as ``translate
run --file`` keeps a file's lines aligned (before: refused, "line 2 is empty or only whitespace")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.nlp.conftest import Run


def test_blank_lines_give_empty_rows_in_line(
    tmp_path: Path, nlp: Callable[..., Run], sentiment_model: Path
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("a wonderful film\n\n   \nan awful film\n\n")  # blank lines at the end: dropped
    done = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["text"] for r in rows] == ["a wonderful film", "", "", "an awful film"]
    assert [r["label"] is None for r in rows] == [False, True, True, False]
    assert rows[1]["probabilities"] == {} and rows[1]["tokens"] == [] and rows[1]["sentences"] == 0
    assert set(rows[1]) == set(rows[0]) - {"unknown_words_mapped"}  # the same keys: one schema
    plain = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "first")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.split("\n")[:-1]
    assert [line == "" for line in lines] == [False, False, True, True, False]  # the argument, then the file
    assert lines[1].split("\t")[2] == "a wonderful film" and lines[4].split("\t")[2] == "an awful film"

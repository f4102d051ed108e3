"""`nlp sentiment predict --file` on a table: before, a CSV was read as lines, so its header was classified as
a text and every row's label and quotes were read with the review (`"Great phone, love it",positive`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tests.nlp.conftest import Run

REVIEWS = ["Great phone, love it", "Awful. Broke in a day", "it works, I guess"]


def _labels(run: Run) -> list[tuple[str, str, dict[str, float]]]:
    assert run.returncode == 0, run.stderr
    return [(p["text"], p["label"], p["probabilities"]) for p in json.loads(run.stdout)["predictions"]]


def test_a_table_is_classified_row_by_row_from_its_text_column(
    nlp: Callable[..., Run], tmp_path: Path, sentiment_model: Path
) -> None:
    model = str(sentiment_model)
    alone = _labels(nlp("sentiment", "predict", "--model", model, "--json", *REVIEWS))
    frame = pd.DataFrame({"id": [1, 2, 3], "content": REVIEWS, "stars": [5, 1, 3]})
    frame.to_csv(tmp_path / "reviews.csv", index=False)  # quoted: the texts hold commas
    frame.to_json(tmp_path / "reviews.jsonl", orient="records", lines=True)
    frame.to_parquet(tmp_path / "reviews.parquet")
    for name in ("reviews.csv", "reviews.jsonl", "reviews.parquet"):  # content: amazon_polarity's name
        assert (
            _labels(nlp("sentiment", "predict", "--model", model, "--json", "--file", str(tmp_path / name)))
            == alone
        )
    named = frame.rename(columns={"content": "body_text"})
    named.to_csv(tmp_path / "named.tsv", sep="\t", index=False)
    got = nlp(
        "sentiment",
        "predict",
        "--model",
        model,
        "--json",
        "--file",
        str(tmp_path / "named.tsv"),
        "--text-col",
        "body_text",
    )
    assert _labels(got) == alone
    missing = nlp("sentiment", "predict", "--model", model, "--file", str(tmp_path / "named.tsv"))
    assert missing.returncode == 1 and "columns found: 'id', 'body_text', 'stars'" in missing.stderr
    assert "--no-header" not in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    lines = tmp_path / "texts.txt"
    lines.write_text("\n".join(REVIEWS) + "\n", encoding="utf-8")  # a text file: one text a line, as before
    assert _labels(nlp("sentiment", "predict", "--model", model, "--json", "--file", str(lines))) == alone
    usage = nlp("sentiment", "predict", "--model", model, "--file", str(lines), "--text-col", "x")
    assert usage.returncode == 2 and "--text-col reads a table" in usage.stderr

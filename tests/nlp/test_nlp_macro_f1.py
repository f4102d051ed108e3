"""``nlp sentiment evaluate`` on a two-class set says which class its binary precision/recall/F1 are of and
reports macro F1 beside them (text, ``--json``, metrics.json). Before: "precision 0.993 (binary)", F1 0.996 on a
99:1 set where 7 of the 10 minority rows were missed, with no macro F1 anywhere (it was 0.729 there:
``nlp sentiment evaluate --data imb99.csv``, 990 positive rows and 10 negative)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
from carrousel.nlp.pipeline import evaluate_sentiment
from tests.nlp.conftest import Run

_GOOD = ["a wonderful film", "loved every minute", "great acting and a fine story", "brilliant and moving"]
_ROWS = [
    *[(f"{_GOOD[i % 4]} number {i}", "positive") for i in range(24)],
    *[(f"{_GOOD[0]}, they said; it was not, number {i}", "negative") for i in range(2)],  # read as praise
    ("dull, lifeless and far too long", "negative"),
]


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn)


def test_macro_f1_is_reported_beside_the_binary_f1(
    tmp_path: Path, write_rows: Any, nlp: Callable[..., Run]
) -> None:
    data = write_rows(tmp_path / "imbalanced.csv", _ROWS)
    r = evaluate_sentiment(SentimentEvaluateConfig(None, TextDataConfig(str(data))))
    (tn, fp), (fn, tp) = r.confusion
    assert r.average == "binary" and r.f1 == pytest.approx(_f1(tp, fp, fn))  # the positive class's alone
    assert r.macro_f1 == pytest.approx((_f1(tn, fn, fp) + _f1(tp, fp, fn)) / 2)
    assert r.macro_f1 < r.f1  # the minority class is missed more often (the shipped model reads its praise)
    doc = json.loads(nlp("sentiment", "evaluate", "--data", str(data), "--json").stdout)
    assert doc["macro_f1"] == pytest.approx(r.macro_f1) and doc["f1"] == pytest.approx(r.f1)
    text = nlp("sentiment", "evaluate", "--data", str(data)).stdout
    assert f"precision  {r.precision:.3f} (binary, of class positive)" in text
    assert f"macro F1   {r.macro_f1:.3f} (both classes weighed alike)" in text
    out = tmp_path / "eval"
    assert nlp("sentiment", "evaluate", "--data", str(data), "--out", str(out)).returncode == 0
    assert json.loads((out / "metrics.json").read_text())["macro_f1"] == pytest.approx(r.macro_f1)

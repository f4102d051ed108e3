"""The sentiment benchmarks' teachers read a text as the sentiment models read it: ``bench_nlp_sentiment.py``'s
teacher row and its agreement's refitted teacher, and ``bench_nlp_drugs.py``'s teachers, embed ``don't``, never
``don&#039;t`` (``read_as``), as training's teacher embeds it since session 47 (before, the benchmarks' MiniLM
read the HTML references as typed)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from tests.bench_scripts import bench_module


class _Encoder:
    """A stand-in for MiniLM: records every text it embeds; one feature, 1 for texts with ``good``."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.memo: dict[str, Any] = {}

    def sentences(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.asarray([[1.0 if "good" in t else -1.0, 0.5] for t in texts], dtype=np.float32)


class _Tokenizer:
    emoji = "names"

    def prepare(self, text: str) -> str:
        return text


class _Model:
    labels: ClassVar[list[str]] = ["0", "1"]
    threshold = 0.5
    tokenizer = _Tokenizer()

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        p = np.asarray([0.9 if "good" in t else 0.1 for t in texts])
        return np.stack([1 - p, p], axis=1)


def _bench(encoder: _Encoder) -> ModuleType:
    bench = bench_module("bench_nlp_sentiment")  # the functions only: the __main__ block does not run
    bench.MiniLM = type("MiniLM", (), {"from_folder": staticmethod(lambda: encoder)})
    bench.SentimentModel = type("SentimentModel", (), {"from_pretrained": staticmethod(lambda _: _Model())})
    return bench


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in rows), encoding="utf-8")
    return path


ROWS = [(f"good film &amp; cast {i}", "1") for i in range(10)] + [
    (f"I don&#039;t like it {i}", "0") for i in range(10)
]


def test_the_teacher_row_reads_html_references_as_the_models_do(tmp_path: Path) -> None:
    encoder = _Encoder()
    train = _write(tmp_path / "train.csv", ROWS)
    test = _write(tmp_path / "test.csv", [("not good &quot;at all&quot;", "0")])
    ((accuracy, _),) = _bench(encoder).teacher(train, [test])
    assert not [t for t in encoder.seen if "&amp;" in t or "&#039;" in t or "&quot;" in t]
    assert "I don't like it 0" in encoder.seen and 'not good "at all"' in encoder.seen
    assert accuracy == 0.0  # the stand-in's feature: "good" reads positive


def test_the_agreement_teacher_reads_as_the_student(tmp_path: Path) -> None:
    encoder = _Encoder()
    train = _write(tmp_path / "train.csv", ROWS)
    held = tmp_path / "general.txt"
    held.write_text("a good day &amp; night\nit isn&#039;t\n", encoding="utf-8")
    same, _ = _bench(encoder).agreement(train, tmp_path, 0, held)
    assert not [t for t in encoder.seen if "&amp;" in t or "&#039;" in t]
    assert "a good day & night" in encoder.seen and "it isn't" in encoder.seen
    assert same == 1.0


def test_the_drug_benchmark_teachers_read_as_the_student() -> None:
    encoder = _Encoder()
    x = bench_module("bench_nlp_drugs").teacher_features(encoder)(["I don&#039;t like it", "AT&T &amp; me"])
    assert encoder.seen == ["I don't like it", "AT&T & me"]
    assert x.shape == (2, 2)

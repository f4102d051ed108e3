"""``nlp sentiment export``: the shipped BiLSTM as ONNX (fp32 / int8), run transparently by predict."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.core.errors import ConfigError, DataError
from carrousel.nlp.cli import app
from carrousel.nlp.config import SentimentExportConfig, TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.pipeline import SentimentModel, export_sentiment
from carrousel.nlp.samples import sample_file

pytest.importorskip("onnxruntime")

TEXTS = [
    "A wonderful, moving film with a brilliant cast.",
    "Terrible product, it broke after two days and support never answered.",
    "not the best, not the worst",
    "Great service and friendly staff, we will definitely come back! " * 20,  # longer than any check batch
]


def test_fp32_export_reproduces_the_model_at_other_sizes(tmp_path: Path, shipped: SentimentModel) -> None:
    out = CliRunner().invoke(
        app, ["sentiment", "export", "-o", str(tmp_path / "m"), "--precision", "fp32", "--json"]
    )
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["precision"] == "fp32" and report["kind"] == "nlp.sentiment"
    assert report["check_max_abs_diff"] < 1e-4
    assert set(report["speedup"]) == {"1", "64"} and report["onnx_bytes"] > 0
    eager, deployed = shipped, SentimentModel.from_pretrained(tmp_path / "m")
    assert eager.runtime is None and deployed.runtime is not None
    with pytest.raises(ConfigError, match="exported \\(ONNX\\) model runs its own fp32/int8 file"):
        SentimentModel.from_pretrained(tmp_path / "m", precision="bf16")  # bf16 is for the PyTorch network
    for batch in (1, 3):  # batch sizes and lengths other than the export example (4 x 9)
        a, b = eager(TEXTS, batch_size=batch), deployed(TEXTS, batch_size=batch)
        for x, y in zip(a, b, strict=True):
            assert x.label == y.label
            assert np.allclose(list(x.probabilities.values()), list(y.probabilities.values()), atol=1e-4)
            if x.attention is None:  # mean/max/last pooling: no weights either way
                assert y.attention is None
            else:
                assert np.allclose(x.attention, y.attention, atol=1e-4)


def test_int8_export_keeps_the_accuracy_on_real_sentences(tmp_path: Path) -> None:
    try:
        path = sample_file("nlp.gensim_polarity")
    except DataError as exc:
        pytest.skip(f"sample not cached ({exc}); run `carrousel-data fetch nlp`")
    rows = load_texts(TextDataConfig(str(path)))
    names = {"pos": "positive", "neg": "negative"}
    labelled = tmp_path / "gensim.csv"
    with labelled.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows((t, names[y]) for t, y in zip(rows.texts, rows.labels, strict=True))
    report = export_sentiment(SentimentExportConfig(data=TextDataConfig(str(labelled))), tmp_path / "q")
    assert report.precision == "int8" and report.before is not None and report.after is not None
    assert report.before > 0.76  # the shipped model's figure on these 200 sentences (test_nlp_shipped)
    assert abs(report.after - report.before) <= 0.01, (report.before, report.after)  # at most 2 of 200 flip
    # int8 weights and a uint8 embedding table (main: 4.09 MiB of a 4.81 MiB bundle, the table float32)
    assert report.onnx_bytes < 0.3 * report.source_bytes, report.onnx_bytes  # session 47: 1.16 MiB


def test_export_of_a_missing_model_is_one_line(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        app, ["sentiment", "export", "--model", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]
    )
    assert out.exit_code == 1
    assert len(out.output.strip().splitlines()) == 1 and "error" in out.output
    assert not (tmp_path / "o").exists()


def test_attention_weights_survive_the_export(tmp_path: Path, sentiment_model: Path) -> None:
    report = export_sentiment(
        SentimentExportConfig(model=str(sentiment_model), precision="fp32"), tmp_path / "a"
    )
    assert report.check_max_abs_diff < 1e-4
    eager, deployed = (
        SentimentModel.from_pretrained(sentiment_model),
        SentimentModel.from_pretrained(tmp_path / "a"),
    )
    a, b = eager(TEXTS[:3]), deployed(TEXTS[:3])
    for x, y in zip(a, b, strict=True):
        assert x.attention is not None and y.attention is not None
        assert np.allclose(x.attention, y.attention, atol=1e-4) and abs(sum(y.attention) - 1) < 1e-4

"""Every nlp command that loads a trained bundle says in ``--json`` how its network was trained
(``trained_precision``: the bundle's record, read by :mod:`carrousel.core.provenance`; fp32 for a bundle saved
before the record) beside the arithmetic of the run (``precision``; ``sentiment evaluate``, whose
``precision`` is the classification metric, as ``inference_precision``); an exported bundle's run is its ONNX
file's. Before: only the run's precision, in some commands (generate and translate), the training one nowhere."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from carrousel.nlp.config import (
    FitConfig,
    SentimentExportConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.pipeline import train_sentiment
from carrousel.nlp.pipeline.deploy import export_sentiment
from tests.nlp.translate_toys import cli_translator


@pytest.fixture(scope="module")
def bf16_sentiment(tmp_path_factory: pytest.TempPathFactory, synthetic_csv: Path) -> Path:
    """The ``sentiment_model`` fixture's network, one epoch in bf16 (about a second)."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("bf16") / "sentiment"
    cfg = SentimentTrainConfig(
        TextDataConfig(str(synthetic_csv)),
        TokenizerConfig(kind="word", vocab_size=200, min_frequency=1),
        SentimentNetConfig(embed_dim=16, hidden_size=16),
        FitConfig(epochs=1, batch_size=16, lr=1e-2, progress=False, precision="bf16"),
    )
    train_sentiment(cfg, out)
    return out


@pytest.fixture(scope="module")
def bf16_translator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny CLI translator (2 epochs) trained in bf16; its pairs lie beside it (``pairs.tsv``)."""
    return cli_translator(tmp_path_factory.mktemp("bf16_mt"), "--precision", "bf16")


def _json(nlp: Callable[..., Any], *args: object) -> Any:
    run = nlp(*map(str, args), "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize(("which", "run", "expected"), [("bf16", "fp32", "bf16"), ("fp32", "bf16", "fp32")])
def test_sentiment_predict_reports_the_training_and_the_run_precision(
    nlp: Any, bf16_sentiment: Path, sentiment_model: Path, which: str, run: str, expected: str
) -> None:
    model = bf16_sentiment if which == "bf16" else sentiment_model
    doc = _json(
        nlp, "sentiment", "predict", "--model", model, "a fine film", "a dull film", "--precision", run
    )
    assert (doc["trained_precision"], doc["precision"]) == (expected, run), doc
    items = doc["predictions"]
    assert [(p["trained_precision"], p["precision"]) for p in items] == [(expected, run)] * 2, items
    assert set(items[0]) >= {"text", "label", "probabilities"}  # the prediction's keys stay


def test_a_bundle_saved_before_the_record_was_trained_in_fp32(
    nlp: Any, bf16_sentiment: Path, tmp_path: Path
) -> None:
    old = shutil.copytree(bf16_sentiment, tmp_path / "old")
    manifest = json.loads((old / "bundle.json").read_text(encoding="utf-8"))
    for key in ("precision", "train", "config"):  # as nlp sentiment train wrote it before it had --precision
        del manifest["data"][key]  # (and before it recorded its settings and figures)
    (old / "bundle.json").write_text(json.dumps(manifest), encoding="utf-8")
    [item] = _json(nlp, "sentiment", "predict", "--model", old, "a fine film")["predictions"]
    assert (item["trained_precision"], item["precision"]) == ("fp32", "fp32")


def test_an_exported_bundle_reports_its_onnx_files_precision(
    nlp: Any, bf16_sentiment: Path, tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime")
    export_sentiment(SentimentExportConfig(str(bf16_sentiment)), tmp_path / "int8")  # int8: the default
    [item] = _json(nlp, "sentiment", "predict", "--model", tmp_path / "int8", "a fine film")["predictions"]
    assert (item["trained_precision"], item["precision"]) == ("bf16", "int8")


def test_translate_run_and_evaluate_report_a_bf16_translator(nlp: Any, bf16_translator: Path) -> None:
    doc = _json(nlp, "translate", "run", "--model", bf16_translator, "open the file", "--beam", "1")
    assert (doc["trained_precision"], doc["precision"], doc["beam"]) == ("bf16", "fp32", 1)
    pairs = bf16_translator.parent / "pairs.tsv"
    doc = _json(nlp, "translate", "evaluate", "--model", bf16_translator, "--pairs", pairs, "--limit", "8")
    assert (doc["trained_precision"], doc["precision"]) == ("bf16", "fp32")
    text = nlp(
        "translate", "evaluate", "--model", str(bf16_translator), "--pairs", str(pairs), "--limit", "8"
    )
    assert "trained in bf16, run in fp32" in text.stdout.splitlines()[0], text.stdout


COMMANDS: dict[str, Callable[[dict[str, Path]], list[object]]] = {
    "sentiment predict": lambda f: ["sentiment", "predict", "--model", f["sentiment"], "a fine film"],
    "sentiment evaluate": lambda f: ["sentiment", "evaluate", "--model", f["sentiment"], "--data", f["csv"]],
    "generate run": lambda f: ["generate", "run", "--model", f["lm"], "--max-tokens", "5", "--seed", "0"],
    "generate evaluate": lambda f: [
        "generate",
        "evaluate",
        "--model",
        f["lm"],
        "-t",
        f["text"],
        "--orders",
        "1",
    ],
    "translate run": lambda f: ["translate", "run", "--model", f["mt"], "open a file"],
    "translate evaluate": lambda f: ["translate", "evaluate", "--model", f["mt"], "--pairs", f["pairs"]],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_that_loads_a_model_reports_both_precisions(
    nlp: Any,
    command: str,
    sentiment_model: Path,
    synthetic_csv: Path,
    lm_model: Path,
    small_text: Path,
    bf16_translator: Path,
) -> None:
    files = {"sentiment": sentiment_model, "csv": synthetic_csv, "lm": lm_model, "text": small_text}
    files |= {"mt": bf16_translator, "pairs": bf16_translator.parent / "pairs.tsv"}
    doc = _json(nlp, *COMMANDS[command](files))
    run = "inference_precision" if command == "sentiment evaluate" else "precision"
    expected = "bf16" if command.startswith("translate") else "fp32"
    assert (doc["trained_precision"], doc[run]) == (expected, "fp32"), doc


def test_an_ensemble_reports_every_members_training_precision(
    nlp: Any, bf16_translator: Path, tmp_path: Path
) -> None:
    """``translate run|evaluate --ensemble DIR``: ``trained_precision`` is true of every bundle decoded, one
    value where they agree, else "mixed (...)" in the order given. Before: the first bundle's record alone
    ("bf16" for a bf16 model decoded with an fp32 one)."""
    fp32 = cli_translator(tmp_path, "--train-seed", "1")  # the same pairs and vocabulary, trained in fp32
    doc = _json(nlp, "translate", "run", "--model", bf16_translator, "--ensemble", fp32, "open the file")
    assert (doc["trained_precision"], doc["precision"]) == ("mixed (bf16, fp32)", "fp32"), doc
    pairs = tmp_path / "pairs.tsv"
    args = ["translate", "evaluate", "--model", fp32, "--ensemble", bf16_translator, "--pairs", pairs]
    doc = _json(nlp, *args, "--limit", "8")
    assert (doc["trained_precision"], doc["precision"]) == ("mixed (fp32, bf16)", "fp32"), doc
    text = nlp(*map(str, args), "--limit", "8")
    assert "trained in mixed (fp32, bf16), run in fp32" in text.stdout.splitlines()[0], text.stdout
    doc = _json(nlp, "translate", "run", "--model", fp32, "--ensemble", fp32, "open the file")
    assert doc["trained_precision"] == "fp32"  # members that agree: the one value

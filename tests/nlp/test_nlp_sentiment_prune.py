"""``nlp sentiment export --prune F --unlabelled FILE``: the pruned variant (fewer LSTM units, fine-tuned on
unlabelled texts to give the full model's outputs), exported and run like any other export."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from carrousel.core.errors import DataError
from carrousel.core.prune import keep_count
from carrousel.nlp.cli import app
from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.prune import prune_classifier
from carrousel.nlp.samples import sample_file

pytest.importorskip("onnxruntime")


def _zero_units(model: torch.nn.Module, drop: int) -> None:
    """Zeroes every weight into and out of the last ``drop`` units of each LSTM direction (in place): their
    gates sit at 0.5 with a zero candidate, so their state and output stay exactly 0."""
    hid = model.config.net.hidden_size
    gates = torch.cat([torch.arange(g * hid + hid - drop, (g + 1) * hid) for g in range(4)])
    with torch.no_grad():
        for name, p in model.encoder.named_parameters():
            p[gates] = 0.0  # weight_ih, weight_hh and biases: the dropped units' gate rows
            if "weight_hh" in name:
                p[:, hid - drop :] = 0.0  # and what the dropped units feed back to the others
        cols = torch.cat([torch.arange(hid - drop, hid), torch.arange(2 * hid - drop, 2 * hid)])
        model.attention.proj.weight[:, cols] = 0.0
        model.classifier.weight[:, cols] = 0.0


def test_pruning_zero_units_keeps_the_attention_model_exactly(sentiment_model: Path) -> None:
    """Units whose weights are all zero contribute nothing: removing them (the attention pooling keeps its
    scoring size, only its inputs shrink) leaves the probabilities and attention weights unchanged."""
    full = SentimentModel.from_pretrained(sentiment_model)
    model = full.model.double().eval()
    assert model.attention is not None and model.config.net.hidden_size == 16
    _zero_units(model, 8)
    pruned = prune_classifier(model, 0.5).eval()
    assert pruned.config.net.hidden_size == 8 and pruned.config.net.attention_size == 32
    ids = torch.randint(1, model.config.vocab_size, (5, 11))
    lengths = torch.tensor([11, 3, 7, 1, 9])
    a, b = model.forward_with_weights(ids, lengths), pruned.forward_with_weights(ids, lengths)
    torch.testing.assert_close(a.logits, b.logits, rtol=0, atol=1e-12)
    assert a.weights is not None and b.weights is not None
    torch.testing.assert_close(a.weights, b.weights, rtol=0, atol=1e-12)


def _labelled_gensim(tmp_path: Path) -> Path:
    try:
        rows = load_texts(TextDataConfig(str(sample_file("nlp.gensim_polarity"))))
    except DataError as exc:
        pytest.skip(f"sample not cached ({exc}); run `carrousel-data fetch nlp`")
    names = {"pos": "positive", "neg": "negative"}
    path = tmp_path / "gensim.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows((t, names[y]) for t, y in zip(rows.texts, rows.labels, strict=True))
    return path


def _review_sentences(tmp_path: Path, n: int) -> Path:
    """``n`` unlabelled sentences of the Pang & Lee full reviews (not the labelled evaluation sentences)."""
    with open(sample_file("nlp.pang_lee_reviews"), encoding="utf-8-sig", newline="") as fh:
        reviews = [row[1] for row in csv.reader(fh)]
    lines = sorted(
        {" ".join(s.split()) for r in reviews for s in r.splitlines() if 4 <= len(s.split()) <= 40}
    )
    random.Random(0).shuffle(lines)
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(lines[:n]) + "\n", encoding="utf-8")
    return path


def test_pruned_shipped_model_keeps_its_accuracy_and_deploys(
    tmp_path: Path, one_thread: None, shipped: SentimentModel
) -> None:
    """The shipped BiLSTM with half its units removed, fine-tuned on 3,000 unlabelled review sentences
    against the full model's outputs: on the 200 labelled gensim sentences (never seen in fine-tuning) it
    stays within 3 points of the full model's accuracy, and the int8 folder predicts like its report says."""
    labelled = _labelled_gensim(tmp_path)
    texts = _review_sentences(tmp_path, 3000)
    out = CliRunner().invoke(
        app,
        [
            "sentiment", "export", "-o", str(tmp_path / "p"), "--data", str(labelled), "--prune", "0.5",
            "--unlabelled", str(texts), "--finetune-epochs", "3", "--json", "--quiet",
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    pruned = report["extra"]["pruned"]
    full = shipped.model
    hidden = full.config.net.hidden_size
    assert pruned["hidden_size"] == {"before": hidden, "after": keep_count(hidden, 0.5)}
    assert (
        pruned["parameters"]["after"]
        < pruned["parameters"]["before"]
        == sum(p.numel() for p in full.parameters())
    )
    assert report["parameters"] == pruned["parameters"]["after"]
    assert pruned["held_out_agreement"] > 0.85  # held-out review sentences: the full model's class
    assert report["before"] > 0.76 and report["after"] > report["before"] - 0.03, report
    deployed = SentimentModel.from_pretrained(tmp_path / "p")
    assert deployed.runtime is not None and deployed.model.config.net.hidden_size == keep_count(hidden, 0.5)
    rows = load_texts(TextDataConfig(str(labelled)))
    labels = [p.label for p in deployed(rows.texts)]
    assert np.mean([a == b for a, b in zip(labels, rows.labels, strict=True)]) == pytest.approx(
        report["after"]
    )


def test_prune_without_texts_is_one_line(tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["sentiment", "export", "-o", str(tmp_path / "o"), "--prune", "0.5"])
    assert out.exit_code == 1 and "--unlabelled" in out.output
    assert len(out.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    usage = CliRunner().invoke(
        app, ["sentiment", "export", "-o", str(tmp_path / "o"), "--unlabelled", str(tmp_path / "x.txt")]
    )
    assert usage.exit_code == 2 and not (tmp_path / "o").exists()


def test_finetune_epochs_without_prune_is_a_usage_error(tmp_path: Path) -> None:
    """``--finetune-epochs`` sets the pruned model's fine-tuning: without ``--prune`` it was ignored without a
    word (the export ran, exit 0), as bio, finance and speech export no longer allow."""
    out = CliRunner().invoke(
        app, ["sentiment", "export", "-o", str(tmp_path / "o"), "--finetune-epochs", "3"]
    )
    assert out.exit_code == 2 and "--finetune-epochs is for --prune" in out.output, out.output
    assert not (tmp_path / "o").exists()


def test_a_diverged_fine_tuning_is_refused_and_nothing_is_written(
    sentiment_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fine-tuning's rate is fixed (``SentimentExportConfig.finetune``, raised here to force the
    divergence): core's one line names ``--prune`` and ``--finetune-epochs``. Before: unchecked."""
    from dataclasses import replace

    from carrousel.nlp.config import SentimentExportConfig

    fixed = SentimentExportConfig.finetune
    monkeypatch.setattr(SentimentExportConfig, "finetune", replace(fixed, lr=1e30))
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(f"a fine film, number {i}" for i in range(40)) + "\n")  # 40 distinct texts
    out = tmp_path / "p"
    args = ["sentiment", "export", "--model", str(sentiment_model), "-o", str(out), "--precision", "fp32"]
    res = CliRunner().invoke(
        app, [*args, "--prune", "0.5", "--unlabelled", str(texts), "--finetune-epochs", "1"]
    )
    assert res.exit_code == 1, res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output, res.output
    assert "the training diverged: " in res.output, res.output
    assert (
        "lower --prune (now 0.5) or --finetune-epochs (now 1; the learning rate is fixed at 1e+30)"
        in res.output
    )
    assert not out.exists()


def test_a_small_prune_share_is_not_logged_as_zero(
    sentiment_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The info line's share goes through core's percent(): --prune 0.004 read 'pruning 0% of the units'."""
    import logging

    from carrousel.nlp.config import SentimentExportConfig
    from carrousel.nlp.pipeline import prune as prune_module

    def stop(*args: object, **kwargs: object) -> None:
        raise RuntimeError("stop before pruning")

    monkeypatch.setattr(prune_module, "prune_and_finetune", stop)
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(f"a fine film, number {i}" for i in range(40)) + "\n")
    cfg = SentimentExportConfig(str(sentiment_model), prune=0.004, unlabelled=(str(texts),))
    with caplog.at_level(logging.INFO, logger="carrousel"), pytest.raises(RuntimeError, match="stop"):
        prune_module.pruned_variant(SentimentModel.from_pretrained(sentiment_model), cfg)
    assert "pruning 0.4% of the units; fine-tuning on " in caplog.text

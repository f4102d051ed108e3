"""Prediction reads a text longer than the model's limit sentence by sentence by default (``--long truncated``,
adopted by the rule of benchmarks/bench_nlp_long_texts.py), eager and exported models alike.

On main ``SentimentModel`` and ``nlp sentiment predict`` cut such a text at ``max_length`` tokens (only
``evaluate --long`` read it by sentence): a real Pang & Lee full review was read as its first 128 tokens.
``--long whole`` keeps that reading exactly; texts under the limit are unchanged bit for bit.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from carrousel.nlp.cli import app
from carrousel.nlp.config import SentimentExportConfig, SentimentPredictConfig
from carrousel.nlp.data import encode_texts
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.long_texts import sentence_proba
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.sentence_split import split_sentences
from tests.nlp.conftest import sample

runner = CliRunner()
SHORT = [
    "a gorgeous, moving film",
    "dull and far too long.",
    "The first hour is dull. The ending is wonderful.",
]


@pytest.fixture(scope="module")
def review() -> str:
    """The first Pang & Lee full review (one sentence a line, far longer than the shipped model's 128 tokens)."""
    with open(sample("nlp.pang_lee_reviews"), encoding="utf-8-sig", newline="") as fh:
        return next(r[1] for r in csv.reader(fh) if r[0] in ("1", "-1"))


def _cut_reading(model: SentimentModel, text: str) -> np.ndarray:
    """What main's prediction gave: the network on the text's first ``max_length`` ids."""
    ids = torch.from_numpy(np.asarray(encode_texts(model.tokenizer, [text], model.max_length)[0]))[None]
    with torch.no_grad():
        logits, _ = model.model.forward_with_weights(ids, torch.tensor([ids.shape[1]]))
    return torch.softmax(logits.float(), dim=-1)[0].numpy()


def test_a_long_review_is_read_by_sentence_by_default(shipped: SentimentModel, review: str) -> None:
    (pred,) = shipped([review])
    parts = split_sentences(review)
    assert pred.read == "sentences" and pred.sentences == len(parts) > 1
    got = [pred.probabilities[name] for name in shipped.labels]
    np.testing.assert_allclose(got, sentence_proba(shipped, [review], "truncated")[0], atol=1e-7)
    np.testing.assert_allclose(shipped.predict_proba([review])[0], got, atol=1e-7)
    whole = _cut_reading(shipped, review)
    assert np.abs(np.asarray(got) - whole).max() > 1e-3  # not the cut text's reading
    # tokens (and attention: none here, the shipped model pools by mean): the most decided sentence's
    alone = shipped(parts, long="whole")
    logit = [
        abs(np.log(p.probabilities[shipped.labels[1]] / p.probabilities[shipped.labels[0]])) for p in alone
    ]
    shown = alone[int(np.argmax(logit))]
    assert pred.tokens == shown.tokens and pred.attention == shown.attention


def test_attention_of_a_text_read_by_sentence(
    sentiment_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attention-pooling model: the most decided sentence's attention, in predict and in attention.png."""
    model = SentimentModel.from_pretrained(sentiment_model)
    text = "the film was not good. really brilliant cast!"
    (pred,) = model([text], max_length=3)  # over a limit of 3 tokens: read by sentence, each cut to 3
    alone = model(split_sentences(text), max_length=3, long="whole")
    logit = [abs(np.log(p.probabilities["pos"] / p.probabilities["neg"])) for p in alone]
    shown = alone[int(np.argmax(logit))]
    assert (pred.read, pred.sentences, pred.truncated) == ("sentences", 2, True)
    assert pred.tokens == shown.tokens and pred.attention == shown.attention and len(pred.tokens) == 3
    assert pred.attention is not None and sum(pred.attention) == pytest.approx(1.0, abs=1e-4)
    pytest.importorskip("matplotlib")
    long = "the film was not good. " * 150  # 900 tokens, over the model's 256
    data = tmp_path / "eval.csv"
    data.write_text(f"text,label\n{long.strip()},neg\nreally brilliant cast,pos\n", encoding="utf-8")
    titles: list[str] = []
    from carrousel.nlp import plots

    drawn = plots.attention_png
    monkeypatch.setattr(
        plots, "attention_png", lambda t, w, title, path: titles.append(title) or drawn(t, w, title, path)
    )
    for long_reading in ("truncated", "whole"):
        out = tmp_path / long_reading
        args = [
            "sentiment",
            "evaluate",
            "--model",
            str(sentiment_model),
            "--data",
            str(data),
            "--out",
            str(out),
        ]
        run = runner.invoke(app, [*args, "--long", long_reading])
        assert run.exit_code == 0, run.output
        assert (out / "attention.png").is_file()
    assert titles[0].startswith("attention over the most decided of the 150 sentences of text 1 of ")
    assert titles[1].startswith("attention over text 1 of ")


def test_long_whole_is_mains_cut_reading(shipped: SentimentModel, review: str) -> None:
    (pred,) = shipped([review], long="whole")
    assert pred.read == "whole" and pred.sentences == 1 and pred.truncated
    assert len(pred.tokens) == shipped.max_length
    got = [pred.probabilities[name] for name in shipped.labels]
    np.testing.assert_allclose(got, _cut_reading(shipped, review), atol=1e-6)
    np.testing.assert_array_equal(shipped.predict_proba([review], long="whole")[0], np.float32(got))


def test_short_texts_are_unchanged_bit_for_bit(shipped: SentimentModel, review: str) -> None:
    default = shipped([*SHORT, review])[:-1]
    whole = shipped(SHORT, long="whole")
    assert [p.probabilities for p in default] == [p.probabilities for p in whole]
    assert [(p.read, p.sentences, p.tokens, p.attention) for p in default] == [
        ("whole", 1, p.tokens, p.attention) for p in whole
    ]
    assert np.array_equal(shipped.predict_proba(SHORT), shipped.predict_proba(SHORT, long="whole"))


def test_predict_cli_long_option_and_json(tmp_path: Path, review: str, shipped: SentimentModel) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text(" ".join(review.split()) + "\na lovely film\n", encoding="utf-8")
    runs = {
        long: runner.invoke(app, ["sentiment", "predict", "--file", str(texts), "--json", *extra])
        for long, extra in (
            ("default", []),
            ("whole", ["--long", "whole"]),
            ("sentences", ["--long", "sentences"]),
        )
    }
    assert all(run.exit_code == 0 for run in runs.values()), {k: r.output for k, r in runs.items()}
    doc = {long: json.loads(run.stdout)["predictions"] for long, run in runs.items()}
    parts = len(split_sentences(" ".join(review.split())))
    assert [(d["read"], d["sentences"]) for d in doc["default"]] == [("sentences", parts), ("whole", 1)]
    assert [(d["read"], d["sentences"], d["truncated"]) for d in doc["whole"]] == [
        ("whole", 1, True),
        ("whole", 1, False),
    ]
    assert doc["default"][1] == doc["whole"][1] == doc["sentences"][1]  # a one-sentence text: read whole
    assert doc["default"][0]["probabilities"] != doc["whole"][0]["probabilities"]
    bad = runner.invoke(app, ["sentiment", "predict", "--long", "paragraphs", "fine"])
    assert bad.exit_code == 2 and "--long" in bad.output and "Traceback" not in bad.output
    with pytest.raises(NLPConfigError, match="long must be one of whole, sentences, truncated"):
        SentimentPredictConfig(long="paragraphs")
    with pytest.raises(NLPConfigError, match="long must be one of whole, sentences, truncated"):
        shipped(["fine"], long="paragraphs")


def test_exported_model_reads_long_texts_as_the_eager_one(
    tmp_path: Path, review: str, shipped: SentimentModel
) -> None:
    pytest.importorskip("onnxruntime")
    from carrousel.nlp.pipeline import export_sentiment

    export_sentiment(SentimentExportConfig(precision="fp32"), tmp_path / "m")
    eager, deployed = shipped, SentimentModel.from_pretrained(tmp_path / "m")
    assert deployed.runtime is not None
    texts = [review, *SHORT]
    for a, b in zip(eager(texts), deployed(texts), strict=True):
        assert (a.read, a.sentences, a.label, a.tokens) == (b.read, b.sentences, b.label, b.tokens)
        np.testing.assert_allclose(list(a.probabilities.values()), list(b.probabilities.values()), atol=1e-4)
    export_sentiment(
        SentimentExportConfig(precision="int8"), tmp_path / "q"
    )  # the same reading, int8 weights
    (a,), (b,) = eager([review]), SentimentModel.from_pretrained(tmp_path / "q")([review])
    # which sentence is the most decided (its tokens shown) may differ: int8 embeddings move near-tied gaps
    assert (b.read, b.sentences, b.label) == ("sentences", a.sentences, a.label)
    assert abs(a.probabilities["positive"] - b.probabilities["positive"]) < 0.05
    np.testing.assert_allclose(eager.predict_proba(texts), deployed.predict_proba(texts), atol=1e-4)


def test_an_unknown_reading_is_refused_before_any_work(
    shipped: SentimentModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``predict_proba(long='by-sentence')`` ran the whole-text pass first and refused the reading after."""

    def ran(*args: object, **kwargs: object) -> None:
        raise AssertionError("the texts were read before the reading was checked")

    monkeypatch.setattr(shipped, "_encode", ran)
    for call in (shipped, shipped.predict_proba):
        with pytest.raises(NLPConfigError, match="by-sentence"):
            call(["a fine film"], long="by-sentence")


@pytest.mark.parametrize("texts", [[], ["a fine film"], "a fine film"], ids=["empty", "list", "one-string"])
def test_an_unknown_reading_is_refused_first_by_both_in_one_wording(
    shipped: SentimentModel, texts: object
) -> None:
    """On main ``model([], long='paragraphs')`` returned [] where ``predict_proba`` refused it, and one string
    instead of a list was refused for its texts by ``model`` but for its reading by ``predict_proba``."""
    said = "long must be one of whole, sentences, truncated, not 'paragraphs'"
    for call in (shipped, shipped.predict_proba):
        with pytest.raises(NLPConfigError) as refused:
            call(texts, long="paragraphs")  # type: ignore[operator]
        assert str(refused.value) == said

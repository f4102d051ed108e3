"""The sentiment BiLSTM shipped in the package: ``nlp sentiment predict`` without ``--model``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.core.errors import DataError
from carrousel.nlp.cli import app
from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.sentiment import shipped_model_path
from carrousel.nlp.samples import sample_file

CLEAR = {
    "positive": [
        "A wonderful, moving film with a brilliant cast.",
        "I love this phone, the battery lasts for days and it works perfectly.",
        "Great service and friendly staff, we will definitely come back!",
        "What a fantastic day, I am so happy :)",
    ],
    "negative": [
        "A dull, tedious mess that wastes its talented cast.",
        "Terrible product, it broke after two days and support never answered.",
        "The food was cold and the waiter was rude. Awful experience.",
        "I hate Mondays, everything went wrong today.",
    ],
}


def test_shipped_model_is_small_and_loads_by_default() -> None:
    folder = shipped_model_path()
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 6_000_000, size
    manifest = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "nlp.sentiment"
    assert manifest["data"]["teacher"]["name"] == "minilm"  # distilled; the teacher itself is not shipped
    model = SentimentModel.from_pretrained()
    assert model.labels == ["negative", "positive"]


def test_shipped_model_gets_clear_sentences_right_across_domains(shipped: SentimentModel) -> None:
    model = shipped
    for label, texts in CLEAR.items():
        for p in model(texts):
            assert p.label == label, (p.text, p.probabilities)
            assert p.probabilities[label] > 0.6, (p.text, p.probabilities)


def test_shipped_model_in_bf16_keeps_its_answers(shipped: SentimentModel) -> None:
    """bf16 autocast of the network (core's predict): the same labels, probabilities within 0.02."""
    full, half = shipped, SentimentModel.from_pretrained(precision="bf16")
    texts = [t for group in CLEAR.values() for t in group]
    a, b = full.predict_proba(texts), half.predict_proba(texts)
    assert np.isfinite(b).all() and (a.argmax(1) == b.argmax(1)).all()
    assert 0 < np.abs(a - b).max() < 0.02  # bf16 really ran, and stayed close


def test_cli_predict_without_model_uses_the_shipped_one() -> None:
    out = CliRunner().invoke(
        app, ["sentiment", "predict", "--json", *CLEAR["positive"][:1], *CLEAR["negative"][:1]]
    )
    assert out.exit_code == 0, out.output
    labels = [p["label"] for p in json.loads(out.stdout)["predictions"]]
    assert labels == ["positive", "negative"]


def test_shipped_model_beats_the_bag_of_words_on_gensims_sentences(shipped: SentimentModel) -> None:
    """The gensim 200 were kept out of its training. Baseline: the 1-2-gram TF-IDF logistic regression of
    benchmarks/bench_nlp_sentiment.py trained on the Pang & Lee sentences scores 0.735 on them."""
    try:
        path = sample_file("nlp.gensim_polarity")
    except DataError as exc:
        pytest.skip(f"sample not cached ({exc}); run `carrousel-data fetch nlp`")
    data = load_texts(TextDataConfig(str(path)))  # labels pos / neg
    model = shipped
    names = {"pos": "positive", "neg": "negative"}
    predictions = model(data.texts, batch_size=256)
    accuracy = sum(p.label == names[y] for p, y in zip(predictions, data.labels, strict=True)) / len(
        data.texts
    )
    assert accuracy > 0.76, accuracy


def test_vader_ratings_reader_reads_every_rated_sentence(tmp_path: Path) -> None:
    """The human ratings behind the shipped model's training and the benchmark's out-of-domain sets."""
    from carrousel.nlp.errors import TextDataError
    from carrousel.nlp.vader import read_vader_ratings

    try:
        archive = sample_file("nlp.vader_ratings")
    except DataError as exc:
        pytest.skip(f"sample not cached ({exc}); run `carrousel-data fetch nlp`")
    sets = read_vader_ratings(archive)
    assert {k: len(v) for k, v in sets.items()} == {
        "movies": 10605,
        "tweets": 4200,
        "amazon": 3708,
        "nyt": 5190,
    }
    assert all(-4 <= r <= 4 and text == " ".join(text.split()) for rows in sets.values() for text, r in rows)
    with pytest.raises(TextDataError, match="unknown VADER sets"):
        read_vader_ratings(archive, ("imdb",))
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not a tar")
    with pytest.raises(TextDataError, match="not the vaderSentiment source archive"):
        read_vader_ratings(bogus)

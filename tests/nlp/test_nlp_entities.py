"""HTML character references in a text read as their characters (:func:`carrousel.nlp.entities.unescape_entities`,
applied by :func:`carrousel.nlp.data.read_as`): ``don&#039;t`` is ``don't`` to the sentiment model (before,
``don & # 0 3 9 ; t``, the negation lost); a bare ampersand (``AT&T``) stays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from carrousel.nlp.data import encode_texts, read_as
from carrousel.nlp.entities import unescape_entities
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.sentiment_reading import encode_for_model


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("don&#039;t", "don't"),
        ("it&#x27;s", "it's"),
        ("AT&amp;T", "AT&T"),
        ("&quot;fine&quot;", '"fine"'),
        ("a &lt;3", "a <3"),
        ("AT&T", "AT&T"),
        ("Q&A and R&D", "Q&A and R&D"),
        ("&copy 2020", "&copy 2020"),  # no ";": not a reference (html.unescape would read ©)
        ("&foo; bar", "&foo; bar"),  # a name HTML does not know
        ("you&amp;#39;d", "you&#39;d"),  # once, as a browser shows it
        ("plain text", "plain text"),
    ],
)
def test_complete_references_are_read_and_bare_ampersands_stay(text: str, read: str) -> None:
    assert unescape_entities(text) == read


def test_read_as_unescapes_before_reading_whitespace() -> None:
    assert read_as("  I don&#039;t&nbsp;like it\r\n") == "I don't like it"


def test_the_shipped_model_reads_an_escaped_negation_as_the_plain_one(shipped: SentimentModel) -> None:
    model = shipped
    escaped, plain = model.predict_proba(["I don&#039;t like it", "I don't like it"], warn=False)
    np.testing.assert_allclose(escaped, plain, atol=1e-6)  # before: P(positive) 0.231 against 0.031
    assert model(["I don&#039;t like it"])[0].text == "I don&#039;t like it"  # the text given, as given


TWICE = "I don&amp;#039;t like it"  # read once: "I don&#039;t like it", as training reads it (not "don't")


def test_prediction_reads_a_text_once_as_training_does(shipped: SentimentModel) -> None:
    """Prediction (the API, ``predict`` from arguments, ``--file`` or stdin, ``evaluate`` and its attention
    chart, ``export --data``: all through :func:`encode_for_model`) reads each text as ``encode_texts`` does
    when training, with one ``read_as``. Before, it read it twice (``&amp;#039;`` became ``'``), while the
    tokens it showed were of the text read once."""
    model = shipped
    texts = [TWICE, "AT&amp;amp;T is fine", "a &amp;lt;3 film"]
    got = encode_for_model(model.tokenizer, None, texts, model.max_length).ids
    trained = encode_texts(model.tokenizer, texts, model.max_length, warn=False, unread=False)
    assert [x.tolist() for x in got] == [x.tolist() for x in trained]
    pred = model([TWICE])[0]
    assert len(pred.tokens) == len(trained[0]) and "#" in pred.tokens  # the tokens of the ids it read
    once, plain = model.predict_proba([TWICE, "I don't like it"], warn=False)
    assert not np.allclose(once, plain, atol=1e-3)  # before: the same probabilities


def test_predict_file_reads_a_text_once(tmp_path: Path, shipped: SentimentModel) -> None:
    from typer.testing import CliRunner

    from carrousel.nlp.cli import app

    model = shipped
    file = tmp_path / "texts.txt"
    file.write_text(TWICE + "\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["sentiment", "predict", "--file", str(file), "--json"])
    assert run.exit_code == 0, run.output
    shown = json.loads(run.stdout)["predictions"][0]["probabilities"]
    once, plain = model.predict_proba([TWICE, "I don't like it"], warn=False)
    assert [shown[label] for label in model.labels] == pytest.approx(once.tolist(), abs=1e-3)
    assert abs(shown[model.labels[0]] - plain[0]) > 0.1  # before: "don't"'s (0.969 negative; now 0.769)


def test_a_long_text_is_split_into_sentences_as_it_is_read(shipped: SentimentModel) -> None:
    """Sentence reading (:class:`~carrousel.nlp.long_texts.SentenceReading`, used by predict, evaluate and
    training's validation) splits a text once its references are read: ``Great&#33; Really`` is two sentences
    (before: one, the ``!`` unseen), and each sentence is read once (``&amp;#39;`` stays ``&#39;``)."""
    from carrousel.nlp.long_texts import SentenceReading

    plan = SentenceReading.plan(
        ["Great&#33; Really good.", "Bad&amp;#39;s end. Fine."], [True, True], "truncated"
    )
    assert [[read_as(p) for p in parts] for parts in plan.pieces] == [
        ["Great!", "Really good."],
        ["Bad&#39;s end.", "Fine."],
    ]
    model = shipped
    escaped = model(["Great&#33; Really good."], long="sentences")[0]
    plain = model(["Great! Really good."], long="sentences")[0]
    assert escaped.read == "sentences" and escaped.sentences == 2  # before: read whole, one sentence
    assert escaped.probabilities == pytest.approx(plain.probabilities, abs=1e-6)
    assert escaped.text == "Great&#33; Really good."  # the text given, as given
    twice = model(["I don&amp;#039;t like it. Fine."], long="sentences")[0]
    once = model(["I don&#039;t like it. Fine."], long="sentences")[0]  # what "read once" must not become
    assert twice.probabilities != pytest.approx(once.probabilities, abs=1e-4)

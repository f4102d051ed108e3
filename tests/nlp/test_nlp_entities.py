"""HTML character references in a text read as their characters (:func:`carrousel.nlp.entities.unescape_entities`,
applied by :func:`carrousel.nlp.data.read_as`): ``don&#039;t`` is ``don't`` to the sentiment model (before,
``don & # 0 3 9 ; t``, the negation lost); a bare ampersand (``AT&T``) stays."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.nlp.data import read_as
from carrousel.nlp.entities import unescape_entities
from carrousel.nlp.pipeline import SentimentModel


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


def test_the_shipped_model_reads_an_escaped_negation_as_the_plain_one() -> None:
    model = SentimentModel.from_pretrained()
    escaped, plain = model.predict_proba(["I don&#039;t like it", "I don't like it"], warn=False)
    np.testing.assert_allclose(escaped, plain, atol=1e-6)  # before: P(positive) 0.231 against 0.031
    assert model(["I don&#039;t like it"])[0].text == "I don&#039;t like it"  # the text given, as given

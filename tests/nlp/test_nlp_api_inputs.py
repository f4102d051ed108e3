"""Texts as a notebook passes them to the Python API: a pandas column, a NumPy array, one string by mistake,
a missing value among them. Each is a list of texts or one clear error at the edge, never a prediction per
character nor a traceback from inside pandas or NumPy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from carrousel.nlp.errors import EmptyTextError, NLPConfigError, TextDataError
from carrousel.nlp.pipeline import SentimentModel, Translator
from tests.cli_harness import assert_clean_failure


def test_a_pandas_column_or_numpy_array_predicts_like_a_list(shipped: SentimentModel) -> None:
    texts = ["a gorgeous, moving film", "dull and far too long"]
    want = shipped.predict_proba(texts)
    column = pd.Series(texts, index=[10, 20])  # a filtered DataFrame column keeps its index
    np.testing.assert_allclose(shipped.predict_proba(column), want, atol=1e-6)
    np.testing.assert_allclose(shipped.predict_proba(np.array(texts)), want, atol=1e-6)
    labels = [p.label for p in shipped(column)]
    assert labels == [p.label for p in shipped(texts)] and [p.text for p in shipped(column)] == texts
    assert shipped(pd.Series([], dtype=str)) == [] and shipped.predict_proba(np.array([])).shape == (0, 2)


def test_a_numpy_array_gives_plain_str_texts(shipped: SentimentModel) -> None:
    # before: each prediction's .text was the array's np.str_ (repr np.str_('...'), not a str to type())
    texts = ["a gorgeous, moving film", "dull and far too long"]
    got = shipped(np.array(texts))
    assert [type(p.text) for p in got] == [str, str] and [p.text for p in got] == texts
    assert [repr(p.text) for p in got] == [repr(t) for t in texts]


def test_one_string_instead_of_a_list_is_refused_not_read_letter_by_letter(shipped: SentimentModel) -> None:
    # before: "great" gave five predictions, one per letter; "a film" failed on "text 2 is empty"
    for call in (shipped, shipped.predict_proba):
        with pytest.raises(TextDataError, match=r"one string, not a list of texts; pass \[text\]"):
            call("great")


@pytest.mark.parametrize("texts", [None, 3])
def test_no_list_at_all_is_refused_in_one_line(shipped: SentimentModel, texts: object) -> None:
    # before: TypeError "'NoneType' object is not iterable" from inside the model (a variable not yet set)
    for call in (shipped, shipped.predict_proba):
        with pytest.raises(
            TextDataError, match=rf"^input: got {texts}, not a list of texts; pass \[text, \.\.\.\]$"
        ):
            call(texts)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [None, float("nan"), 3])
def test_a_missing_or_non_text_value_is_named(shipped: SentimentModel, bad: object) -> None:
    with pytest.raises(EmptyTextError, match=r"text 2 is .*not text; drop or fill missing rows"):
        shipped(["good film", bad])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        (
            0,
            r"^max_length=0 must be at least 1 token; give e\.g\. max_length=128, or None for the model's own",
        ),
        (-5, r"^max_length=-5 must be at least 1 token"),
        (2.0, r"^max_length=2\.0 is a float, not an integer; give max_length=2$"),
        (True, r"^max_length=True is a bool, not an integer"),
    ],
)
def test_max_length_is_a_positive_integer_or_none(shipped: SentimentModel, bad: object, needle: str) -> None:
    # before: max_length=0 fell back silently to the model's 128; -5 failed deep inside (ShapeError, T = 0)
    with pytest.raises(NLPConfigError, match=needle):
        shipped(["a gorgeous, moving film"], max_length=bad)  # type: ignore[arg-type]
    with pytest.raises(NLPConfigError, match=needle):
        shipped([], max_length=bad)  # type: ignore[arg-type]


def test_max_length_none_is_the_models_own_and_a_number_cuts(shipped: SentimentModel) -> None:
    text = "a gorgeous, moving film that stays with you long after the credits roll"
    own = shipped([text])[0]
    assert shipped.max_length == 128 and not own.truncated
    assert shipped([text], max_length=None)[0].tokens == own.tokens
    short = shipped([text], max_length=np.int64(3))[0]  # type: ignore[arg-type]
    assert short.truncated and len(short.tokens) == 3 == len(short.attention or [0, 0, 0])


def test_translator_refuses_one_string_and_reads_a_column(undertrained: Path) -> None:
    tr = Translator.from_pretrained(undertrained)
    with pytest.raises(TextDataError, match="one string, not a list of texts"):
        tr.translate("read the file")  # before: one translation per letter
    with pytest.raises(EmptyTextError, match="text 2 is None"):
        tr.translate(["read the file", None])  # type: ignore[list-item]
    column = pd.Series(["read the file", "open all"], index=[3, 4])
    assert [t.text for t in tr.translate(column)] == [t.text for t in tr.translate(list(column))]


@pytest.mark.parametrize("text", ["\u200b", " \ufeff\u2060 ", "\u00ad", "\x01\x02"])
def test_a_text_of_invisible_characters_only_is_refused_as_empty(
    shipped: SentimentModel, invoke: Any, text: str
) -> None:
    """A zero-width space alone (a scraped cell, a copied blank) passed the blank check (``str.strip`` keeps
    format characters) and was folded to no token at all: the shipped model answered ``positive`` 0.945 with
    ``"tokens": []``, a trained one gave one attention weight for no token, and the warning spoke of
    ``[UNK]``. Now the empty-text refusal, naming the characters."""
    with pytest.raises(EmptyTextError, match=r"^input: text 2 holds only invisible characters \(U\+"):
        shipped(["a fine film", text])
    if "\x01" not in text:  # a control character cannot be a command-line argument on every system
        # a usage error, before the model
        outcome = invoke("nlp", "sentiment", "predict", "a fine film", text)
        assert_clean_failure(outcome, 2, "Invalid value for 'TEXTS': a text of invisible characters only")
    assert [p.label for p in shipped(["a fine\u200b film"])] == ["positive"]  # among visible ones: read

"""A sentiment model reads a text without the whitespace around it (``carrousel.nlp.data.read_as``).

Found walking the product (session 42): the fastText reader strips its lines, so ``nlp sentiment evaluate
--data gensim.txt`` read ``"simplistic , silly and tedious ."``, while ``nlp sentiment predict --file`` of the
same texts (and a CSV cell, a typed text, the Python API) read the trailing space as one more token, ``▁``:
the shipped model's probabilities moved by up to 0.038 on gensim's 200 sentences and one label of 200 changed
between the two commands. Training read those tokens too from a table's padded cells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from carrousel.nlp.data import encode_texts
from carrousel.nlp.oov import OovFallback
from carrousel.nlp.pipeline import SentimentModel
from tests.nlp.test_nlp_oov import _with_fallback

_PADDED = {
    "simplistic , silly and tedious .": "simplistic , silly and tedious . ",
    "a gorgeous, moving film": "a gorgeous, moving film \r\n",
    "tedious and far too long": "\n tedious and far too long\t\u00a0",
}


def test_surrounding_whitespace_changes_no_probability_token_or_attention(shipped: SentimentModel) -> None:
    plain, padded = list(_PADDED), list(_PADDED.values())
    np.testing.assert_array_equal(shipped.predict_proba(plain), shipped.predict_proba(padded))
    for a, b in zip(shipped(plain), shipped(padded), strict=True):
        assert (a.label, a.probabilities, a.tokens, a.attention) == (
            b.label,
            b.probabilities,
            b.tokens,
            b.attention,
        )
        assert b.text != a.text  # the text itself is given back as written
    assert shipped(["tedious . "])[0].tokens == ["tedious", " ", "."]  # no trailing " " token


def test_training_reads_padded_cells_as_the_model_predicts_them(shipped: SentimentModel) -> None:
    plain = encode_texts(shipped.tokenizer, list(_PADDED), 64)
    padded = encode_texts(shipped.tokenizer, list(_PADDED.values()), 64)
    assert [x.tolist() for x in plain] == [x.tolist() for x in padded]


def test_an_oov_fallback_reads_padded_texts_alike(sentiment_model: Path, tmp_path: Path) -> None:
    folder = _with_fallback(sentiment_model, tmp_path / "m", {"superb": "great", "dreadful": "awful"})
    model = SentimentModel.from_pretrained(folder)
    assert isinstance(model.oov, OovFallback)
    plain, padded = ["the film was superb", "dreadful film"], ["  the film was superb \n", "dreadful film  "]
    for a, b in zip(model(plain), model(padded), strict=True):
        assert (a.probabilities, a.tokens, a.unknown_words_mapped) == (
            b.probabilities,
            b.tokens,
            b.unknown_words_mapped,
        )


def test_a_line_break_or_tab_inside_a_text_separates_words(tmp_path: Path) -> None:
    """Before: the tokenizers split at spaces only, so ``good\\nbad`` was one word (``▁good`` then ``\\nbad``
    in unknown pieces) for a model that does not fold unknown characters, and ``good\\r\\nbad`` read a stray
    ``▁`` (two folded spaces) for one that does (the shipped model)."""
    from carrousel.nlp.config import TokenizerConfig
    from carrousel.nlp.data import read_as
    from carrousel.nlp.tokenization import train_tokenizer

    tok = train_tokenizer(["good movie bad plot"] * 5, TokenizerConfig("word", 50, 1, False))
    spaced = encode_texts(tok, ["good bad movie plot"], 64)[0].tolist()
    for text in ("good\nbad\r\nmovie\tplot", "good\rbad\u2028movie\x0cplot"):
        assert encode_texts(tok, [text], 64)[0].tolist() == spaced
        assert read_as(text) == "good bad movie plot"


def test_the_shipped_model_reads_a_crlf_as_one_space(shipped: SentimentModel) -> None:
    one, crlf = shipped(["good bad", "good\r\nbad"])
    assert crlf.tokens == one.tokens == ["good", "bad"]
    assert crlf.probabilities == one.probabilities

"""Tokenizers: every level round-trips text, handles Unicode and unknowns, and survives serialisation."""

from __future__ import annotations

import pytest

from carrousel.nlp.config import TokenizerConfig
from carrousel.nlp.errors import NLPConfigError, TokenizerError
from carrousel.nlp.tokenization import SPECIALS, TextTokenizer, train_tokenizer

CORPUS = [
    "The film was great, really great!",
    "Café au lait, naïve façade: crème brûlée.",
    "I loved it 😀 and my friend 😢 did not.",
    "東京の映画は素晴らしい。",
    "ﬁne ｆｕｌｌ-width ＡＢＣ text",
] * 20


@pytest.mark.parametrize("kind", ["bpe", "unigram", "word", "char"])
def test_round_trip_keeps_the_text(kind: str) -> None:
    tok = train_tokenizer(
        CORPUS, TokenizerConfig(kind=kind, vocab_size=300, min_frequency=1, lowercase=False)
    )
    for text in ["The film was great, really great!", "Café naïve 😀", "東京の映画"]:
        assert tok.decode(tok.encode(text)) == text, kind
    assert [tok.id_to_token(i) for i in range(4)] == list(SPECIALS)


def test_nfkc_and_lowercase() -> None:
    tok = train_tokenizer(
        CORPUS, TokenizerConfig(kind="word", vocab_size=300, min_frequency=1, lowercase=True)
    )
    assert tok.encode("ＡＢＣ") == tok.encode("abc")  # full-width letters fold to ASCII, then lowercase
    assert tok.encode("ﬁne") == tok.encode("fine")  # ligature
    assert tok.decode(tok.encode("The CAFÉ")) == "the café"  # accents kept
    kept = train_tokenizer(
        CORPUS, TokenizerConfig(kind="word", vocab_size=300, min_frequency=1, lowercase=False)
    )
    assert kept.encode("The") != kept.encode("the")


@pytest.mark.parametrize("kind", ["bpe", "word", "char"])
def test_unseen_symbols_become_unk(kind: str) -> None:
    tok = train_tokenizer(CORPUS, TokenizerConfig(kind=kind, vocab_size=300, min_frequency=1))
    ids = tok.encode("great ☃")  # the snowman never occurs in training
    assert tok.unk_id in ids
    assert tok.decode(ids).startswith("great")


def test_serialisation_gives_the_same_ids() -> None:
    tok = train_tokenizer(CORPUS, TokenizerConfig(kind="bpe", vocab_size=200, min_frequency=1))
    again = TextTokenizer.from_bytes(tok.to_bytes(), "bpe")
    for text in CORPUS[:5]:
        assert again.encode(text) == tok.encode(text)
    assert again.vocab_size == tok.vocab_size == len(tok.vocabulary())


def test_bad_inputs_are_one_line_errors() -> None:
    with pytest.raises(TokenizerError, match="train the model again"):
        TextTokenizer.from_bytes(b"{not json", "bpe")
    with pytest.raises(TokenizerError, match="empty vocabulary"):
        train_tokenizer(["", " "], TokenizerConfig(kind="word", min_frequency=5))
    with pytest.raises(NLPConfigError, match="unknown tokenizer"):
        TokenizerConfig(kind="sentencepiece")


def test_pieces_follow_the_original_text() -> None:
    tok = train_tokenizer(CORPUS, TokenizerConfig(kind="word", vocab_size=300, min_frequency=1))
    assert [p.strip() for p in tok.pieces("The FILM, great")] == ["The", "FILM", ",", "great"]
    bpe = train_tokenizer(CORPUS, TokenizerConfig(kind="bpe", vocab_size=300, min_frequency=1))
    # an unknown first word: the lone "▁" before it was shown as its first character ("☃", "☃☃")
    assert bpe.pieces("☃☃ great") == [" ", "☃☃", " great"]


def test_unknown_words_are_what_the_vocabulary_cannot_spell() -> None:
    """``benchmarks/bench_nlp_oov.py`` counts these: a word tokenizer cannot spell an unseen word, a
    subword one spells it in pieces (only an unseen character is unknown), also after a reload."""
    text = "The refrigerator was great ☃"  # "refrigerator" and the snowman never occur in training
    word = train_tokenizer(CORPUS, TokenizerConfig(kind="word", vocab_size=300, min_frequency=1))
    assert word.unknown_words(text) == ["refrigerator", "☃"]
    bpe = train_tokenizer(CORPUS, TokenizerConfig(kind="bpe", vocab_size=300, min_frequency=1))
    assert bpe.unknown_words(text) == ["☃"]
    again = TextTokenizer.from_bytes(bpe.to_bytes(), "bpe")
    assert again.unknown_words(text) == ["☃"] and again.encode(text) == bpe.encode(text)
    assert word.unknown_words("the film was great") == []

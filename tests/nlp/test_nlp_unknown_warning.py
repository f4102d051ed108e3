"""Texts of which the model knows no word (another language or script) get a warning.

Before, the shipped English model labelled '这部电影很糟糕，我讨厌它' ("this film is awful, I hate it"),
'Этот фильм ужасен' and '🤮' positive at 0.85 to 0.96 without a word: every piece was [UNK] (or a known
space or comma), so the label rested on nothing. (Emoji are now read as their names, ``🤮`` as "face with
open mouth vomiting": carrousel.nlp.emoji_names; runes stand in for a text the model cannot read.)
"""

from __future__ import annotations

import logging

import pytest

from carrousel.nlp.pipeline.sentiment import SentimentModel


def test_texts_of_only_unknown_words_are_named_in_one_warning(
    caplog: pytest.LogCaptureFixture, shipped: SentimentModel
) -> None:
    model = shipped
    texts = [
        "这部电影很糟糕，我讨厌它",
        "a great film",
        "Этот фильм ужасен",
        "ᚠᚢᚦ",
        "great ᚠᚢᚦ",
        "!!!",
    ]  # runes, not emoji: [UNK]
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = model(texts)
    assert len(got) == len(texts)  # still predicted: a warning, not an error
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1, messages
    assert messages[0].startswith("3 of 6 texts (texts 1, 3, 4) hold no word the model knows, only [UNK]")


def test_known_text_gives_no_warning(caplog: pytest.LogCaptureFixture, shipped: SentimentModel) -> None:
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        shipped.predict_proba(["a moving film, 10/10 😀", "tedious"])
    assert not caplog.records


def test_one_text_of_one_is_named_in_the_singular(caplog: pytest.LogCaptureFixture) -> None:
    # before: "1 of 1 texts (text 1) hold no word ...: their labels mean nothing"
    from carrousel.nlp.text_checks import warn_unread

    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.text_checks"):
        warn_unread([0], 1)
        warn_unread([0, 3], 9)
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "1 of 1 text (text 1) holds no word the model knows, only [UNK] (another language?): its label means nothing",
        "2 of 9 texts (texts 1, 4) hold no word the model knows, only [UNK] (another language?): their labels mean"
        " nothing",
    ]

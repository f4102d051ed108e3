"""Copying unknown source words through attention: output words aligned to a source word that no
training source held become that word; known words, and words aligned elsewhere, stay."""

from __future__ import annotations

import numpy as np

from carrousel.nlp.copying import copy_unknown_words, word_groups


def _attend(n_out: int, n_src: int, targets: list[int]) -> np.ndarray:
    a = np.full((n_out, n_src), 0.01)
    a[np.arange(n_out), targets] = 1.0
    return a / a.sum(axis=1, keepdims=True)


def test_word_groups_split_at_word_starts_and_punctuation() -> None:
    pieces = ["▁Inst", "alled", ":", "▁%", "s", "▁files"]
    assert word_groups(pieces) == [[0, 1], [2], [3], [4], [5]]


def test_an_invented_word_is_replaced_by_the_unknown_source_word() -> None:
    src = ["▁Inst", "alled", ":", "▁%", "s"]
    out = ["▁Inst", "ref", "sd", ":", "▁%", "s"]  # the decoder spelled an unseen word from other subwords
    att = _attend(6, 5, [0, 1, 1, 2, 3, 4])
    known = {"%", "s"}.__contains__
    assert copy_unknown_words(src, out, att, lambda w: w.casefold() in {"s"} or known(w)) == "Installed: %s"


def test_known_words_and_other_alignments_stay() -> None:
    src = ["▁could", "▁not", "▁open", "▁foo", "bar"]
    out = ["▁konnte", "▁foo", "bar", "▁nicht", "▁öffnen"]
    att = _attend(5, 5, [0, 3, 4, 1, 2])
    known = {"could", "not", "open"}.__contains__
    # fooBar is copied as written; the rest aligns to known words and stays
    assert copy_unknown_words(src, out, att, known) is None  # "foobar" was already spelled right
    out2 = ["▁konnte", "▁fo", "▁ba", "▁nicht", "▁öffnen"]  # split into two invented words
    assert (
        copy_unknown_words(src, out2, _attend(5, 5, [0, 3, 4, 1, 2]), known) == "konnte foobar nicht öffnen"
    )
    assert (
        copy_unknown_words(src, out2, _attend(5, 5, [0, 0, 1, 1, 2]), known) is None
    )  # aligned to known words


def test_nothing_unknown_or_mismatched_shapes_change_nothing() -> None:
    src, out = ["▁open"], ["▁öffnen"]
    assert copy_unknown_words(src, out, _attend(1, 1, [0]), lambda w: True) is None
    assert copy_unknown_words(src, out, np.ones((2, 1)), lambda w: False) is None

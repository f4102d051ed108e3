"""The word-dictionary translation baseline learns emoji and other symbol characters as target units.
Before, units were words or characters of unspaced scripts only: a target that is only an emoji gave no unit,
so ``smile`` learnt whatever stood beside it (``保存`` in a Chinese catalogue) and never 😀."""

from __future__ import annotations

from carrousel.nlp.baselines import WordDictionary


def test_an_emoji_only_target_is_learnt() -> None:
    d = WordDictionary.fit(
        [("smile", "😀"), ("smile save", "😀 保存"), ("save", "保存"), ("save it", "保存 它")]
    )
    assert d.table["smile"] == "😀"
    assert d.table["save"] == "保存"
    assert d.translate("smile") == "😀"


def test_emoji_sequences_and_symbols_are_one_unit_each() -> None:
    family, flag, heart, thumb = "👨\u200d👩\u200d👧", "🇫🇷", "❤\ufe0f", "👍🏽"
    pairs = [
        ("family", family),
        ("france", flag),
        ("love", heart),
        ("ok", thumb),
        ("euro", "€"),
        ("then", "→"),
        ("family love", f"{family} {heart}"),
        ("hello.", "hallo."),  # punctuation is no unit
        ("hello!", "hallo!"),
    ]
    d = WordDictionary.fit(pairs)
    assert {w: d.table[w] for w in ("family", "france", "love", "ok", "euro", "then", "hello")} == {
        "family": family, "france": flag, "love": heart, "ok": thumb, "euro": "€", "then": "→",
        "hello": "hallo",
    }  # fmt: skip
    assert d.translate("family, then france!") == f"{family}, → {flag}!"

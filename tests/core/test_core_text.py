"""core.text.name_some: the one phrase that names the first few of a list and counts the rest; core.text.percent:
a share that is neither none nor all never reads as 0% or 100%; core.text.with_article: "a" or "an" as the
name is said."""

from __future__ import annotations

import pytest

from carrousel.core.errors import ConfigError
from carrousel.core.text import counted, name_some, percent, with_article


@pytest.mark.parametrize(
    ("items", "limit", "expected"),
    [
        ([], 3, ""),
        (["a"], 3, "a"),
        (["a", "b", "c"], 3, "a, b, c"),  # exactly the limit: nothing left to count
        (["a", "b", "c", "d"], 3, "a, b, c and 1 more"),
        (list("abcdefghijkl"), 5, "a, b, c, d, e and 7 more"),
        (range(1, 8), 1, "1 and 6 more"),  # any iterable, shown with str
    ],
)
def test_names_the_first_and_counts_the_rest(items: object, limit: int, expected: str) -> None:
    assert name_some(items, limit) == expected  # type: ignore[arg-type]


def test_quote_shows_each_with_repr_and_the_default_limit_is_five() -> None:
    assert name_some(["x y", "", "a,b"], quote=True) == "'x y', '', 'a,b'"
    assert name_some((f"l{i}" for i in range(9)), quote=True) == "'l0', 'l1', 'l2', 'l3', 'l4' and 4 more"


def test_refuses_a_limit_that_names_nothing_and_arguments_of_the_wrong_kind() -> None:
    with pytest.raises(ConfigError, match="limit=0 names nothing; give limit=1 or more"):
        name_some(["a"], 0)
    with pytest.raises(ConfigError, match=r"name_some: limit=3.0 is a float, not an integer"):
        name_some(["a"], 3.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"name_some: quote='no' is a str, not a bool"):
        name_some(["a"], quote="no")  # type: ignore[arg-type]


def test_counted_puts_the_noun_in_the_right_number() -> None:
    assert [counted(n, "word") for n in (0, 1, 2)] == ["0 words", "1 word", "2 words"]
    assert counted(3, "index", "indices") == "3 indices" and counted(1, "index", "indices") == "1 index"


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (0, "0%"),
        (1, "100%"),
        (0.48, "48%"),
        (0.0028, "0.28%"),  # "%.0f%%" wrote 0% (nlp generate evaluate: one [UNK] in 360 tokens)
        (0.005, "0.5%"),
        (1e-5, "<0.01%"),
        (0.0126, "1%"),
        (0.995, "99.5%"),
        (0.9999, ">99.9%"),
    ],
)
def test_percent_shows_whole_percents_but_never_rounds_to_none_or_all(share: float, expected: str) -> None:
    assert percent(share) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nlp.lm", "an nlp.lm"),  # "nlp" is said "en-el-pee" (before: always "a")
        ("nlp.sentiment", "an nlp.sentiment"),
        ("ensemble.x", "an ensemble.x"),
        ("hmm", "an hmm"),
        ("bio.danq", "a bio.danq"),
        ("finance.forecaster", "a finance.forecaster"),
        ("speech.ctc", "a speech.ctc"),
        ("test.one", "a test.one"),
    ],
)
def test_a_kind_said_with_a_vowel_sound_takes_an(name: str, expected: str) -> None:
    assert with_article(name) == expected

"""``nlp sentiment predict`` on a text longer than the model's limit: one truncation warning, with the limit.

Before, two warnings were logged: '1 of 1 texts are longer than 129 tokens' (the helper encoding one id
more, to tell whether a text was cut) and '1 texts are longer than 128 tokens'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from carrousel.nlp.pipeline.sentiment import SentimentModel
from tests.cli_harness import Outcome, invoke  # noqa: F401  (the fixture)

LONG = " ".join(["a good movie"] * 200)


def test_cli_logs_one_warning_with_the_models_limit(invoke: Callable[..., Outcome]) -> None:  # noqa: F811
    outcome = invoke("nlp", "sentiment", "predict", LONG, "short and fine")
    assert outcome.code == 0, outcome.stderr
    warnings = [line for line in outcome.stderr.splitlines() if "truncated" in line]
    assert len(warnings) == 1, outcome.stderr
    assert "1 of 2 texts is longer than 128 tokens and was truncated" in warnings[0]


@pytest.mark.parametrize("max_length", [None, 7])
def test_one_warning_from_the_library_for_call_and_probabilities(
    caplog: pytest.LogCaptureFixture, max_length: int | None, shipped: SentimentModel
) -> None:
    model = shipped
    limit = max_length or model.max_length
    exact = " ".join(["good"] * (limit + 1))  # one id over the limit: cut, though encoded to limit + 1 ids
    assert len(model.tokenizer.encode(exact)) == limit + 1
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = model([LONG, exact, "fine"], max_length=max_length)
    messages = [r.getMessage() for r in caplog.records if "truncated" in r.getMessage()]
    assert messages == [f"2 of 3 texts are longer than {limit} tokens and were truncated"]
    assert [p.truncated for p in got] == [True, True, False] and len(got[0].tokens) == limit
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        model.predict_proba([LONG])
    assert [r.getMessage() for r in caplog.records] == [
        f"the text is longer than {model.max_length} tokens and was truncated"
    ]


@pytest.mark.parametrize(
    ("cut", "total", "said"),
    [
        (1, 1, "the text is longer than 1 token and was truncated"),
        (1, 3, "1 of 3 texts is longer than 1 token and was truncated"),
        (2, 3, "2 of 3 texts are longer than 1 token and were truncated"),
    ],
)
def test_the_warning_reads_right_for_one(
    caplog: pytest.LogCaptureFixture, cut: int, total: int, said: str, shipped: SentimentModel
) -> None:
    """A limit of 1 token, or one text: main said '1 of 1 texts are longer than 1 tokens and were truncated'."""
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        shipped(["a good movie"] * cut + ["a"] * (total - cut), max_length=1)
    assert [r.getMessage() for r in caplog.records if "truncated" in r.getMessage()] == [said]

"""The nlp configs refuse a field of the wrong kind in one clear NLPConfigError, before any range check
(before: SentimentPredictConfig(max_length=2.5) was accepted, TranslateNetConfig(pointer="false") was taken
as True, FitConfig(lr="0.01") raised a TypeError from inside its range check); see tests/config_kinds.py."""

from __future__ import annotations

import pytest

from carrousel.nlp.config import FitConfig, SentimentPredictConfig, TranslateNetConfig
from carrousel.nlp.errors import NLPConfigError, NLPError
from tests.config_kinds import config_classes, json_failures, wrong_kind_failures


@pytest.mark.parametrize("cls", config_classes("nlp"), ids=lambda c: c.__name__)
def test_every_number_and_bool_field_refuses_the_wrong_kind(cls: type) -> None:
    assert wrong_kind_failures(cls, NLPError) == []
    assert json_failures(cls) == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SentimentPredictConfig(max_length=2.5), "SentimentPredictConfig: max_length=2.5 is a float, not an integer; give an integer"),
        (lambda: SentimentPredictConfig(max_length=64.0), "SentimentPredictConfig: max_length=64.0 is a float, not an integer; give max_length=64"),
        (lambda: TranslateNetConfig(pointer="false"), "TranslateNetConfig: pointer='false' is a str, not a bool; give pointer=False"),
        (lambda: FitConfig(lr="0.01"), "FitConfig: lr='0.01' is a str, not a number; give lr=0.01"),
    ],
)  # fmt: skip
def test_examples(build: object, message: str) -> None:
    with pytest.raises(NLPConfigError) as caught:
        build()  # type: ignore[operator]
    assert str(caught.value) == message

"""The speech configs and CTCModelConfig refuse a field of the wrong kind in one clear SpeechConfigError,
before any range check (before: TrainConfig(bidirectional="false") was taken as True, TrainConfig(hidden=
160.0) was accepted, AugmentConfig(speed=("0.9", 1.1)) raised a TypeError from inside its range check);
see tests/config_kinds.py."""

from __future__ import annotations

import pytest

from carrousel.speech.config import AugmentConfig, FeatureConfig, TrainConfig
from carrousel.speech.errors import SpeechConfigError, SpeechError
from tests.config_kinds import config_classes, json_failures, wrong_kind_failures


@pytest.mark.parametrize("cls", config_classes("speech"), ids=lambda c: c.__name__)
def test_every_number_and_bool_field_refuses_the_wrong_kind(cls: type) -> None:
    assert wrong_kind_failures(cls, SpeechError) == []
    assert json_failures(cls) == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TrainConfig(("c",), bidirectional="false"), "TrainConfig: bidirectional='false' is a str, not a bool; give bidirectional=False"),
        (lambda: TrainConfig(("c",), hidden=160.0), "TrainConfig: hidden=160.0 is a float, not an integer; give hidden=160"),
        (lambda: AugmentConfig(speed=("0.9", 1.1)), "AugmentConfig: speed[0]='0.9' is a str, not a number; give speed[0]=0.9"),
        (lambda: FeatureConfig(f_min="1"), "FeatureConfig: f_min='1' is a str, not a number; give f_min=1.0"),
    ],
)  # fmt: skip
def test_examples(build: object, message: str) -> None:
    with pytest.raises(SpeechConfigError) as caught:
        build()  # type: ignore[operator]
    assert str(caught.value) == message


def test_a_non_finite_number_keeps_its_message() -> None:
    with pytest.raises(SpeechConfigError, match=r"^f_min must be a finite number, got nan$"):
        FeatureConfig(f_min=float("nan"))

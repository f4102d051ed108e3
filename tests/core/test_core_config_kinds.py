"""Core's public configs (RecurrentConfig, TrainConfig, DistillConfig, the heads') refuse a field of the
wrong kind in one line (before: RecurrentConfig(dropout="0.1") raised a TypeError from inside its range
check, TrainConfig(progress="false") was taken as True); see tests/config_kinds.py."""

from __future__ import annotations

import pytest

from carrousel.core.errors import CarrouselError, ConfigError
from carrousel.core.nn import RecurrentConfig
from carrousel.core.train import TrainConfig
from tests.config_kinds import config_classes, json_failures, wrong_kind_failures


@pytest.mark.parametrize("cls", config_classes("core"), ids=lambda c: c.__name__)
def test_every_number_and_bool_field_refuses_the_wrong_kind(cls: type) -> None:
    assert wrong_kind_failures(cls, CarrouselError) == []
    assert json_failures(cls) == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RecurrentConfig(4, 8.0), "RecurrentConfig: hidden_size=8.0 is a float, not an integer; give hidden_size=8"),
        (lambda: RecurrentConfig(4, 8, dropout="0.1"), "RecurrentConfig: dropout='0.1' is a str, not a number; give dropout=0.1"),
        (lambda: TrainConfig(progress="false"), "TrainConfig: progress='false' is a str, not a bool; give progress=False"),
        (lambda: TrainConfig(epochs=2.5), "TrainConfig: epochs=2.5 is a float, not an integer; give an integer, e.g. epochs=10"),
    ],
)  # fmt: skip
def test_examples(build: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build()  # type: ignore[operator]
    assert str(caught.value) == message

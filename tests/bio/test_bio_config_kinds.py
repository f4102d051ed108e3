"""The bio configs and DanQConfig refuse a field of the wrong kind in one clear config error naming the
class and the field, before any range check (before: FitConfig(shuffled_negatives="false") was taken as
True, SynthConfig(window=200.0) was accepted, DanQConfig(filters=64.0) said "DanQ filters must be an
integer in [1, 4,096], got 64.0" without the fix); see tests/config_kinds.py."""

from __future__ import annotations

import pytest

from carrousel.bio.config import FitConfig, ScanConfig, SynthConfig
from carrousel.bio.errors import BioError, ModelConfigError, ScanConfigError, TrainConfigError
from carrousel.bio.models import DanQConfig
from tests.config_kinds import config_classes, json_failures, wrong_kind_failures


@pytest.mark.parametrize("cls", config_classes("bio"), ids=lambda c: c.__name__)
def test_every_number_and_bool_field_refuses_the_wrong_kind(cls: type) -> None:
    assert wrong_kind_failures(cls, BioError) == []
    assert json_failures(cls) == []


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: FitConfig(shuffled_negatives="false"), TrainConfigError, "FitConfig: shuffled_negatives='false' is a str, not a bool; give shuffled_negatives=False"),
        (lambda: SynthConfig(window=200.0), TrainConfigError, "SynthConfig: window=200.0 is a float, not an integer; give window=200"),
        (lambda: DanQConfig(8, filters=64.0), ModelConfigError, "DanQConfig: filters=64.0 is a float, not an integer; give filters=64"),
        (lambda: ScanConfig(pvalue="1e-4"), ScanConfigError, "ScanConfig: pvalue='1e-4' is a str, not a number; give pvalue=0.0001"),
    ],
)  # fmt: skip
def test_examples(build: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        build()  # type: ignore[operator]
    assert str(caught.value) == message


def test_danq_keeps_its_range_message() -> None:
    with pytest.raises(ModelConfigError, match=r"^DanQ filters must be an integer in \[1, 4,096\], got 0$"):
        DanQConfig(8, filters=0)

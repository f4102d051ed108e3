"""The finance configs refuse a field of the wrong kind in one clear config error naming the class and the
field, before any range check (before: EnsembleConfig(members=3.0) was accepted and failed later as a
range() count); see tests/config_kinds.py."""

from __future__ import annotations

import pytest

from carrousel.core.errors import CarrouselError
from tests.config_kinds import config_classes, json_failures, wrong_kind_failures


@pytest.mark.parametrize("cls", config_classes("finance"), ids=lambda c: c.__name__)
def test_every_number_and_bool_field_refuses_the_wrong_kind(cls: type) -> None:
    assert wrong_kind_failures(cls, CarrouselError) == []
    assert json_failures(cls) == []

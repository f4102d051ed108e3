"""check_numbers / as_int: the number fields of a config built in Python refuse a bool, a float for an int
and a string, in one line naming the class, the field and the value meant (from_dict checks TOML already)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from carrousel.core.config import as_int, check_numbers, to_dict
from carrousel.core.errors import ConfigError


class _MineError(ConfigError):
    """A domain's config error."""


@dataclass(frozen=True)
class _Cfg:
    steps: int = 5  # an int field
    limit: int | None = None  # optional
    rate: float = 0.1  # a float field
    levels: tuple[float, ...] = (0.1, 0.9)  # a tuple of floats
    on: bool = True  # a bool field
    name: str = "x"  # text

    def __post_init__(self) -> None:
        check_numbers(self, _MineError)
        if self.steps < 1:  # the class's own range check runs on a checked int
            raise _MineError(f"steps={self.steps} must be at least 1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 5.0}, "_Cfg: steps=5.0 is a float, not an integer; give steps=5"),
        ({"steps": "5"}, "_Cfg: steps='5' is a str, not an integer; give steps=5"),
        ({"steps": True}, "_Cfg: steps=True is a bool, not an integer; give an integer, e.g. steps=5"),
        ({"steps": 2.5}, "_Cfg: steps=2.5 is a float, not an integer; give an integer, e.g. steps=5"),
        ({"limit": 3.0}, "_Cfg: limit=3.0 is a float, not an integer; give limit=3"),
        ({"rate": "0.2"}, "_Cfg: rate='0.2' is a str, not a number; give rate=0.2"),
        ({"rate": False}, "_Cfg: rate=False is a bool, not a number; give a number, e.g. rate=0.1"),
        ({"levels": (0.1, "0.9")}, "_Cfg: levels[1]='0.9' is a str, not a number; give levels[1]=0.9"),
    ],
)
def test_a_wrong_kind_of_number_is_one_clear_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(_MineError) as caught:
        _Cfg(**kwargs)
    assert str(caught.value) == message


def test_numbers_of_the_right_kind_pass_and_numpy_ones_become_plain() -> None:
    cfg = _Cfg(steps=np.int64(3), limit=None, rate=np.float32(0.5), levels=(np.float32(0.25), 1))  # type: ignore[arg-type]
    assert type(cfg.steps) is int and type(cfg.rate) is float and type(cfg.levels[0]) is float
    assert cfg.levels[1] == 1 and type(cfg.levels[1]) is int  # an int in a float field stays as given
    json.dumps(to_dict(cfg))  # plain numbers: JSON-able
    plain = _Cfg(steps=7, rate=1, on=False)
    assert (plain.steps, plain.rate, plain.on) == (7, 1, False)


def test_a_float32_is_the_number_written() -> None:
    """``np.float32(0.1)`` is 0.1, the number the notebook wrote, not the float32's 0.10000000149011612 (on
    main: the latter, in the config, its repr and the saved model's config); float64 stays exact."""
    cfg = _Cfg(rate=np.float32(0.1), levels=(np.float16(0.1), np.float32(1e-4), np.float64(0.1)))  # type: ignore[arg-type]
    assert cfg.rate == 0.1 and type(cfg.rate) is float and "rate=0.1," in repr(cfg)
    assert cfg.levels == (0.1, 1e-4, 0.1)
    assert np.isnan(_Cfg(rate=np.float32("nan")).rate) and _Cfg(rate=np.float32("inf")).rate == float("inf")


def test_as_int_takes_integers_only() -> None:
    assert as_int(np.int32(4), "h") == 4 and type(as_int(np.int32(4), "h")) is int
    with pytest.raises(_MineError, match=r"^h=2\.0 is a float, not an integer; give h=2$"):
        as_int(2.0, "h", _MineError)
    with pytest.raises(
        ConfigError, match=r"^h=None is a NoneType, not an integer; give an integer, e.g. h=3$"
    ):
        as_int(None, "h", example=3)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("false", "_Cfg: on='false' is a str, not a bool; give on=False"),  # truthy: was taken as True
        (" Yes", "_Cfg: on=' Yes' is a str, not a bool; give on=True"),
        (0, "_Cfg: on=0 is an int, not a bool; give on=False"),
        (1.0, "_Cfg: on=1.0 is a float, not a bool; give on=True"),
        ("maybe", "_Cfg: on='maybe' is a str, not a bool; give True or False, e.g. on=True"),
        (None, "_Cfg: on=None is a NoneType, not a bool; give True or False, e.g. on=True"),
    ],
)
def test_a_bool_field_refuses_anything_but_a_bool(value: Any, message: str) -> None:
    with pytest.raises(_MineError) as caught:
        _Cfg(on=value)
    assert str(caught.value) == message


def test_a_numpy_bool_and_a_numpy_float_become_plain() -> None:
    cfg = _Cfg(on=np.False_, rate=np.float64(0.25))  # type: ignore[arg-type]
    assert cfg.on is False and type(cfg.rate) is float and cfg.rate == 0.25


@dataclass(frozen=True)
class _Seeded:
    seed: int = 0
    train_seed: int | None = None
    reseed: int = -1  # not a seed field: its name only ends in "seed"

    def __post_init__(self) -> None:
        check_numbers(self, _MineError)


def test_a_negative_seed_is_refused_in_every_config() -> None:
    """Before: ``seed=-1`` passed and failed later inside NumPy (``expected non-negative integer``, an
    internal error in nlp and speech) or silently meant another seed in torch (finance)."""
    with pytest.raises(_MineError, match=r"^_Seeded: seed=-1 is negative; give a seed of 0 or more$"):
        _Seeded(seed=-1)
    with pytest.raises(_MineError, match=r"^_Seeded: train_seed=-2 is negative"):
        _Seeded(train_seed=-2)
    assert _Seeded(seed=0, train_seed=None).reseed == -1

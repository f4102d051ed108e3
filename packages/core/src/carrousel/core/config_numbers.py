"""Number checks of frozen dataclass configs built in Python (:func:`check_numbers`).

A config built in Python is not checked by :func:`carrousel.core.config.from_dict`: each ``int`` /
``float`` / ``bool`` field (``int | None`` and ``tuple[int, ...]`` too) is checked here, in the class's
``__post_init__``, before any range check. Re-exported by :mod:`carrousel.core.config`.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import types
import typing
from typing import Any

from carrousel.core.args import as_bool, as_int, check_seed, wrong_kind
from carrousel.core.config_text import check_text_fields
from carrousel.core.errors import ConfigError

__all__ = ["check_numbers"]


def _as_number(value: Any, name: str, example: float | None) -> Any:
    """``value`` if ``int`` or ``float``, other reals a float (``np.float32(0.1)`` as printed: 0.1); else ConfigError."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        short = type(value).__module__ == "numpy" and getattr(value, "itemsize", 8) < 8
        return float(str(value)) if short else value if type(value) in (int, float) else float(value)
    raise ConfigError(wrong_kind(name, value, float, example))


@functools.cache
def _kind_fields(cls: type) -> dict[str, tuple[type, bool, bool, Any]]:
    """``cls``'s ``int`` / ``float`` / ``bool`` fields: (kind, None allowed, a tuple of them, default)."""
    out: dict[str, tuple[type, bool, bool, Any]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp, optional, many = hints[f.name], False, False
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            tp, optional = (members[0], True) if len(members) == 1 else (None, False)
        args = typing.get_args(tp)  # tuple[int, ...] or tuple[float, float]: each item checked
        if typing.get_origin(tp) is tuple and args and (args[1:] == (Ellipsis,) or len(set(args)) == 1):
            tp, many = args[0], True
        if tp in (int, float, bool):
            out[f.name] = (tp, optional, many, f.default)
    return out


def check_numbers(cfg: Any, error: type[Exception] = ConfigError, paths: str = "") -> None:
    """Checks, in a frozen dataclass's ``__post_init__``, that every ``int`` field (``int | None``,
    ``tuple[int, ...]`` too) holds an integer, every ``float`` field a number and every ``bool`` field a bool,
    before any comparison; a ``seed`` (or ``*_seed``) field must not be negative. The fields named in ``paths``
    (``"model data"``) hold a file or folder, or a tuple of them: ``~`` is expanded (:mod:`.config_text`).

    A config built in Python is not checked by :func:`from_dict`: ``horizon=5.0`` would pass a range check and
    fail later as a slice index, ``horizon="5"`` with a TypeError from inside the check. NumPy integers become
    ``int``, other real numbers (``np.float32``) ``float`` and NumPy bools ``bool``, so the config stays
    JSON-able. A string in a ``bool`` field would be truthy (``"false"``), a ``0`` or ``1`` pass unnoticed.

    Raises:
        error: a bool, a float or a string in an ``int`` field (a bool or a string in a ``float`` field,
            anything but a bool in a ``bool`` field), in one line naming the class, the field and the value
            meant (``WindowConfig: horizon=5.0 is a float, not an integer; give horizon=5``); a negative seed.
    """
    cls: type = type(cfg)
    check_text_fields(cfg, *paths.split())  # a notebook's Path or "~/data.csv" (carrousel.core.config_text)
    for name, (kind, optional, many, default) in _kind_fields(cls).items():
        value = getattr(cfg, name)
        if (value is None and optional) or (many and not isinstance(value, list | tuple)):
            continue  # a tuple field given something else: the class's own checks say what it wants
        example = default if type(default) is kind or (kind is float and type(default) is int) else None
        try:
            if many:
                items = [_one(kind, v, f"{name}[{i}]", None) for i, v in enumerate(value)]
                if any(a is not b for a, b in zip(items, value, strict=True)):
                    object.__setattr__(cfg, name, tuple(items))
            elif (fixed := _one(kind, value, name, example)) is not value:
                object.__setattr__(cfg, name, fixed)
        except ConfigError as exc:
            raise error(f"{cls.__name__}: {exc}") from None
        if kind is int and not many and name.split("_")[-1] == "seed" and getattr(cfg, name) is not None:
            check_seed(getattr(cfg, name), cls.__name__, name, error)


def _one(kind: type, value: Any, name: str, example: Any) -> Any:
    """``value`` when it is of ``kind`` already, else its plain ``int`` / ``float`` / ``bool`` (or ConfigError)."""
    if type(value) is kind:
        return value
    if kind is int:
        return as_int(value, name, example=example)
    return as_bool(value, name, example=example) if kind is bool else _as_number(value, name, example)

"""The shared check of a package's frozen configs as a notebook builds them: every ``int``, ``float`` and
``bool`` field given a value of another kind (``5.0`` or ``"5"`` for an int, ``"0.1"`` for a float,
``"false"`` or ``0`` for a bool) is refused at once, in one line of the package's config error naming the
class and the field (core's ``check_numbers``, first in ``__post_init__``, before any range check).

The configs are found by walking the package's modules (every frozen dataclass named ``...Config`` or
defined in a ``config`` module), so a config added later is covered without a new test.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import types
import typing
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from carrousel.core.config import from_dict, to_dict
from carrousel.core.errors import ConfigError

__all__ = ["config_classes", "json_failures", "minimal", "wrong_kind_failures"]


def config_classes(package: str) -> list[type]:
    """The frozen config dataclasses of ``carrousel.<package>`` (its CLI modules left out), by name."""
    root = importlib.import_module(f"carrousel.{package}")
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(root.__path__, f"{root.__name__}."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == info.name
                and obj.__dataclass_params__.frozen  # type: ignore[attr-defined]
                and (name.endswith("Config") or info.name.endswith(".config"))
            ):
                found[f"{info.name}.{name}"] = obj
    return [found[k] for k in sorted(found)]


def _kind(tp: Any) -> tuple[type | None, bool]:
    """The scalar kind (int, float, bool) of a field type and whether it is a tuple of them
    (``tuple[kind, ...]``, ``tuple[kind, kind]``)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = members[0] if len(members) == 1 else None
    args = typing.get_args(tp)
    many = typing.get_origin(tp) is tuple and bool(args) and (args[1:] == (Ellipsis,) or len(set(args)) == 1)
    if many:
        tp = args[0]
    return (tp if tp in (int, float, bool) else None), many


def minimal(cls: type, given: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Values for the required fields of ``cls``: ``given[cls.__name__]`` first, else a plain guess (a
    nested config built the same way, ``"x"`` for text, ``8`` for an integer, None where allowed)."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = dict(given.get(cls.__name__, {}))
    for f in dataclasses.fields(cls):
        if not f.init or f.name in out:
            continue
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        tp = hints[f.name]
        args = typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            out[f.name] = tp(**minimal(tp, given))  # type: ignore[operator]
        elif type(None) in args:
            out[f.name] = None
        elif tp is str:
            out[f.name] = "x"
        elif tp is int:
            out[f.name] = 8
        elif typing.get_origin(tp) is tuple:
            out[f.name] = ("x",)
        else:
            pytest.fail(f"{cls.__name__}.{f.name}: give a value for {tp} in the test's required values")
    return out


def _planted(kind: type, default: Any) -> list[Any]:
    """Values of the wrong kind for a field of ``kind`` (near its default, as a slip would be)."""
    if kind is int:
        d = default if type(default) is int else 3
        return [float(d), str(d), True]
    if kind is float:
        d = default if type(default) in (int, float) else 0.5
        return [str(d), False]
    d = default if type(default) is bool else True
    return [str(d).lower(), int(d)]


def wrong_kind_failures(
    cls: type, root: type[Exception], given: Mapping[str, Mapping[str, Any]] | None = None
) -> list[str]:
    """What went wrong planting a value of the wrong kind in each int/float/bool field of ``cls`` (empty:
    each was refused by a ``root`` ConfigError in one line naming the class, the field and the kind)."""
    base = minimal(cls, given or {})
    cls(**base)  # the required values themselves are valid
    hints = typing.get_type_hints(cls)
    failures: list[str] = []
    for f in dataclasses.fields(cls):
        kind, many = _kind(hints[f.name])
        if kind is None or not f.init:
            continue
        default = base.get(f.name, f.default)
        for bad in _planted(kind, default[0] if many and default else default):
            value, shown = ((bad, *(default or ())[1:]), f"{f.name}[0]=") if many else (bad, f"{f.name}=")
            try:
                cls(**{**base, f.name: value})
            except Exception as exc:  # any other error is reported below
                text = str(exc)
                words = {int: "not an integer", float: "not a number", bool: "not a bool"}[kind]
                ok = isinstance(exc, root) and isinstance(exc, ConfigError) and "\n" not in text
                if not (ok and text.startswith(f"{cls.__name__}: {shown}") and words in text):
                    failures.append(f"{cls.__name__}.{f.name}={value!r}: {type(exc).__name__}: {text}")
            else:
                failures.append(f"{cls.__name__}.{f.name}={value!r} was accepted")
        if not many and type(default) in (int, float, bool):
            failures += _plain_kinds(cls, base, f.name, kind, default)
    return failures


def _plain_kinds(cls: type, base: dict[str, Any], name: str, kind: type, default: Any) -> list[str]:
    """A NumPy scalar of the right kind is accepted and stored as a plain one; a whole float as an int."""
    same = (
        [np.bool_(default)] if kind is bool else [np.int64(default)] if kind is int else [np.float64(default)]
    )
    if kind is float and float(default).is_integer():
        same.append(int(default))  # JSON ``1`` for ``1.0``, as an old bundle's config may hold it
    out = []
    for value in same:
        try:
            got = getattr(cls(**{**base, name: value}), name)
        except Exception as exc:  # any error is reported
            out.append(f"{cls.__name__}.{name}={value!r} was refused: {exc}")
            continue
        if type(got) not in ((int, float) if kind is float else (kind,)):
            out.append(f"{cls.__name__}.{name}={value!r} was stored as a {type(got).__name__}")
    return out


def _integral_floats(text: str) -> float | int:
    """A JSON number as an old bundle may hold it: ``1.0`` written as ``1``."""
    number = float(text)
    return int(number) if number.is_integer() else number


def json_failures(cls: type, given: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """What went wrong rebuilding a config of ``cls`` from its JSON (as a saved bundle holds it, whole floats
    written as integers) with :func:`carrousel.core.config.from_dict` (empty: it came back equal)."""
    cfg = cls(**minimal(cls, given or {}))
    doc = json.loads(json.dumps(to_dict(cfg)), parse_float=_integral_floats)
    try:
        back = from_dict(cls, doc)
    except Exception as exc:  # any error is reported below
        return [f"{cls.__name__}: {type(exc).__name__}: {exc}"]
    return [] if back == cfg else [f"{cls.__name__}: {back} != {cfg}"]

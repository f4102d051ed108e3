"""The ``bool`` and ``int`` arguments of a public function, checked where it is called (:func:`check_args`).

A config checks its own fields (:func:`carrousel.core.config.check_numbers`); a function that takes
``normalize: bool`` directly would take ``normalize="no"`` as true and do the opposite of what was meant, and
``top_k=5.0`` would fail deep inside as a slice index. ``@check_args`` reads the function's annotations once
and checks, before the body runs, each argument annotated ``bool`` (``bool | None``) or ``int``
(``int | None``), with the same rules and words as a config field. It belongs on a public entry point, not on
a helper called in an inner loop or inside a traced ``forward`` (where an ``int`` may be a symbolic size).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import types
import typing
from collections.abc import Callable, Collection
from typing import Any, ParamSpec, TypeVar, cast

from carrousel.core.errors import ConfigError

__all__ = ["arg_kinds", "as_bool", "as_int", "check_args", "check_seed", "wrong_kind"]

P = ParamSpec("P")
R = TypeVar("R")
_NONE = {"None", "NoneType"}


def as_int(value: Any, name: str, error: type[Exception] = ConfigError, example: int | None = None) -> int:
    """``value`` as an ``int`` when it is an integer (a NumPy integer too); a bool, a float (even ``5.0``) or
    a string (even ``"5"``) raises ``error`` naming ``name`` and the fix (``example``: a value to suggest)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise error(wrong_kind(name, value, int, example))


def as_bool(value: Any, name: str, error: type[Exception] = ConfigError, example: bool | None = None) -> bool:
    """``value`` as a ``bool`` when it is one (a NumPy bool too); anything else (``"false"`` is truthy, ``0``
    passes unnoticed) raises ``error`` naming ``name`` and the fix."""
    numpy_kind = getattr(getattr(value, "dtype", None), "kind", "")  # "b": a NumPy bool (np.True_)
    if isinstance(value, bool) or (numpy_kind == "b" and not value.shape):
        return bool(value)
    raise error(wrong_kind(name, value, bool, example))


_WORDS = {int: "an integer", float: "a number", bool: "a bool"}
_BOOLS = {w: True for w in ("true", "yes", "on", "1")} | {w: False for w in ("false", "no", "off", "0")}


def wrong_kind(name: str, value: Any, kind: type, example: float | None) -> str:
    """``horizon=5.0 is a float, not an integer; give horizon=5`` (the value meant, when it is clear)."""
    meant: float | None = None
    if kind is bool and isinstance(value, str | numbers.Real):
        meant = _BOOLS.get(str(value).strip().lower().removesuffix(".0"))
    elif isinstance(value, str | numbers.Real) and not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isfinite(number):
            meant = number if kind is float else int(number) if number.is_integer() else None
    words = "True or False" if kind is bool else _WORDS[kind]
    fix = f"give {name}={meant!r}" if meant is not None else f"give {words}"
    if meant is None and example is not None:
        fix += f", e.g. {name}={example!r}"
    got = type(value).__name__
    return f"{name}={value!r} is {'an' if got[0] in 'aeiou' else 'a'} {got}, not {_WORDS[kind]}; {fix}"


def _kind(annotation: Any) -> tuple[type, bool] | None:
    """``(bool or int, None allowed)`` for an annotation ``bool``, ``int``, ``bool | None`` or ``int | None``
    (a string too, as ``from __future__ import annotations`` leaves it); None for any other."""
    if isinstance(annotation, str):
        text = annotation.replace(" ", "")
        optional = text.startswith("Optional[")
        names = set(text.removeprefix("Optional[").removesuffix("]" if optional else "").split("|"))
    elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
        optional, names = False, {getattr(a, "__name__", "") for a in typing.get_args(annotation)}
    else:
        optional, names = False, {getattr(annotation, "__name__", "")}
    optional = optional or bool(names & _NONE)
    names -= _NONE
    if names == {"bool"} or names == {"int"}:
        return (bool if names == {"bool"} else int), optional
    return None


def arg_kinds(fn: Callable[..., Any]) -> dict[str, tuple[type, bool]]:
    """The arguments of ``fn`` annotated ``bool`` or ``int`` (``| None``): name -> (kind, None allowed; a
    default of None allows it too)."""
    out: dict[str, tuple[type, bool]] = {}
    for p in inspect.signature(fn).parameters.values():
        found = None if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) else _kind(p.annotation)
        if found is not None:
            out[p.name] = (found[0], found[1] or p.default is None)
    return out


@typing.overload
def check_args(fn: Callable[P, R], *, skip: Collection[str] = ()) -> Callable[P, R]: ...
@typing.overload
def check_args(
    fn: None = None, *, skip: Collection[str] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def check_args(fn: Callable[P, R] | None = None, *, skip: Collection[str] = ()) -> Any:
    """Decorates ``fn`` so that its ``bool`` and ``int`` arguments are checked on each call, before its body.

    A bool argument takes ``True`` / ``False`` or a NumPy bool; an int argument an integer or a NumPy integer
    (never a bool, a float such as ``5.0`` or a string such as ``"5"``). NumPy scalars reach ``fn`` as plain
    ``bool`` / ``int``. Arguments left to their defaults are not checked, nor those named in ``skip``
    (``@check_args(skip=("max_length",))``: ones the body checks itself, in its own words).

    Raises:
        ConfigError: at the call, in one line naming the function, the argument, the value and the kind
            wanted (``SentimentModel.__call__: warn='no' is a str, not a bool; give warn=False``).
    """
    if fn is None:
        return lambda f: check_args(f, skip=skip)
    params = list(inspect.signature(fn).parameters.values())
    kinds = arg_kinds(fn)
    checks = [
        (i if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else -1, p.name, *kinds[p.name])
        for i, p in enumerate(params)
        if p.name in kinds and p.name not in skip
    ]
    where = fn.__qualname__

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for pos, name, kind, optional in checks:
            given = 0 <= pos < len(args)
            if not given and name not in kwargs:
                continue
            value = args[pos] if given else kwargs[name]
            if type(value) is kind or (value is None and optional):
                continue
            if isinstance(value, kind) and not isinstance(value, bool):
                continue  # an int subclass (an IntEnum) as it is
            try:
                plain = as_bool(value, name) if kind is bool else as_int(value, name)
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            if given:
                args = (*args[:pos], plain, *args[pos + 1 :])
            else:
                kwargs[name] = plain
        return fn(*args, **kwargs)

    return cast(Callable[P, R], checked)


@check_args
def check_seed(seed: int, where: str, name: str = "seed", error: type[Exception] = ConfigError) -> None:
    """The one check of a random seed, a config's (:func:`carrousel.core.config.check_numbers`) or an
    object's argument: NumPy's generators refuse a negative one (torch's would take it).

    Args:
        seed: the seed (an integer: :func:`check_args` or ``check_numbers`` checks the kind).
        where: the class or function given it, for the message.
        name: the argument or field.
        error: the class raised (a caller's own subclass of ConfigError).

    Raises:
        error: in one line, ``SpeechDataset: seed=-1 is negative; give a seed of 0 or more``.
    """
    if seed < 0:
        raise error(f"{where}: {name}={seed} is negative; give a seed of 0 or more")

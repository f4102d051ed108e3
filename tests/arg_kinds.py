"""The shared check of a package's public functions and methods as a notebook calls them: every argument
annotated ``bool`` or ``int`` (``| None``) given a value of another kind (``"false"`` or ``0`` for a bool,
``5.0``, ``"5"`` or ``True`` for an int) is refused at the call, before the body runs, in one line of a
ConfigError naming the function, the argument and the kind (core's ``check_args``).

The callables are found by walking the package's modules: each function named in a module's ``__all__`` and
defined there, and each method (``__init__`` and ``__call__`` too) of a class named there (not a dataclass's
generated ``__init__``: configs are tests/config_kinds.py's; not an exception or an enum). A function added
later is covered without a new test; one where a check is impractical goes in the package test's allowlist,
with the reason.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any

from carrousel.core.args import arg_kinds
from carrousel.core.errors import ConfigError

__all__ = ["public_callables", "wrong_kind_failures"]


def public_callables(package: str) -> dict[str, tuple[Callable[..., Any], str]]:
    """The public functions and methods of ``carrousel.<package>`` (its CLI modules left out) with an
    argument annotated bool or int: ``module.qualname`` -> (the function, ``"static"`` / ``"class"`` /
    ``"method"`` / ``"function"``)."""
    root = importlib.import_module(f"carrousel.{package}")
    found: dict[str, tuple[Callable[..., Any], str]] = {}
    for info in pkgutil.walk_packages(root.__path__, f"{root.__name__}."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if getattr(obj, "__module__", None) != info.name:
                continue  # re-exported: checked where it is defined
            if inspect.isfunction(obj):
                found[f"{info.name}.{name}"] = (obj, "function")
            elif isinstance(obj, type) and not issubclass(obj, BaseException | enum.Enum):
                for attr, value in vars(obj).items():
                    if attr.startswith("_") and attr not in ("__init__", "__call__"):
                        continue
                    if attr == "__init__" and dataclasses.is_dataclass(obj):
                        continue
                    how = {staticmethod: "static", classmethod: "class"}.get(type(value), "method")
                    fn = value.__func__ if how != "method" else value
                    if inspect.isfunction(fn):
                        found[f"{info.name}.{name}.{attr}"] = (fn, how)
    return {k: v for k, v in sorted(found.items()) if arg_kinds(v[0])}


class _Dummy:
    """A stand-in for every required argument (but a bool or int one, which gets a valid value): the check
    runs before the body, so it is never used."""

    def __repr__(self) -> str:
        return "<dummy>"


def _planted(kind: type) -> list[Any]:
    """Values of the wrong kind for an argument of ``kind``, as a slip would give them."""
    return [3.0, "3", True] if kind is int else ["false", "no", 0]


def _call(fn: Callable[..., Any], how: str, name: str, value: Any) -> None:
    """Calls ``fn`` with ``value`` for ``name`` and a dummy for every other required argument."""
    params = list(inspect.signature(fn).parameters.values())
    kinds = arg_kinds(fn)
    args: list[Any] = [_Dummy()] if how in ("method", "class") else []
    kwargs: dict[str, Any] = {}
    for p in params[len(args) :]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or (p.name != name and p.default is not p.empty):
            continue
        right = {bool: False, int: 1}.get(kinds[p.name][0]) if p.name in kinds else None
        given = value if p.name == name else _Dummy() if right is None else right
        if p.kind is p.POSITIONAL_ONLY:
            args.append(given)
        else:
            kwargs[p.name] = given
    fn(*args, **kwargs)


def wrong_kind_failures(package: str, allow: Mapping[str, str] | None = None) -> tuple[list[str], int]:
    """What went wrong planting values of the wrong kind in each bool/int argument of the package's public
    callables (the allowlisted ones left out: ``qualname -> reason`` for a whole function,
    ``qualname(argument) -> reason`` for one argument), and how many arguments were tried.

    Empty failures: each was refused by a one-line ConfigError naming the function, the argument and the kind.
    """
    allow = allow or {}
    failures: list[str] = []
    tried = 0
    callables = public_callables(package)
    known = set(callables) | {f"{q}({name})" for q, (fn, _) in callables.items() for name in arg_kinds(fn)}
    failures += [f"{q}: allowlisted but not found" for q in allow if q not in known]
    for qualname, (fn, how) in callables.items():
        if qualname in allow:
            continue
        for name, (kind, _) in arg_kinds(fn).items():
            if f"{qualname}({name})" in allow:
                continue
            tried += 1
            words = "not a bool" if kind is bool else "not an integer"
            for bad in _planted(kind):
                try:
                    _call(fn, how, name, bad)
                except ConfigError as exc:
                    text = str(exc)
                    if (
                        "\n" in text
                        or not text.startswith(f"{fn.__qualname__}: {name}=")
                        or words not in text
                    ):
                        failures.append(f"{qualname}({name}={bad!r}): unclear: {text}")
                        break
                except Exception as exc:  # any other error: the value was not refused up front
                    failures.append(f"{qualname}({name}={bad!r}): not refused ({type(exc).__name__})")
                    break
                else:
                    failures.append(f"{qualname}({name}={bad!r}) was accepted")
                    break
    return failures, tried

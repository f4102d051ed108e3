"""Text fields of frozen dataclass configs built in Python (a notebook's ``Path``, a list, one string).

:func:`check_text_fields` runs from :func:`carrousel.core.config.check_numbers`, so every config that checks
its numbers normalises its text fields too: a ``str`` field given a :class:`pathlib.Path` keeps its text
(``TextDataConfig(Path("reviews.csv"))`` failed with ``'PosixPath' object has no attribute 'strip'``), and a
``tuple[str, ...]`` field given one string or path holds that one item (``hotwords="ferrars"`` was seven
one-letter hotwords, ``files=Path(...)`` a TypeError), a list becomes a tuple and its paths their text.
Anything else is left to the class's own checks, which know what the field wants.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import types
import typing
from typing import Any

from carrousel.core.paths import expand_user_fields

__all__ = ["check_text_fields"]


@functools.cache
def _text_fields(cls: type) -> dict[str, bool]:
    """The ``str`` / ``str | None`` (False) and ``tuple[str, ...]`` (True) fields of dataclass ``cls``."""
    out: dict[str, bool] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = members[0] if len(members) == 1 else None
        if tp is str:
            out[f.name] = False
        elif typing.get_origin(tp) is tuple and typing.get_args(tp) == (str, Ellipsis):
            out[f.name] = True
    return out


def _text(value: Any) -> Any:
    """A path as its text; anything else unchanged."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def check_text_fields(cfg: Any, *paths: str) -> None:
    """Normalises, in a frozen dataclass's ``__post_init__``, its text fields (see the module); never raises.

    Args:
        cfg: the config being built.
        paths: its fields that hold a file or folder (or a tuple of them): a leading ``~`` is expanded
            (:func:`carrousel.core.paths.expand_user_fields`), after a ``Path`` became its text.
    """
    cls: type = type(cfg)
    for name, many in _text_fields(cls).items():
        value = getattr(cfg, name)
        if many and isinstance(value, str | os.PathLike):
            fixed: Any = (_text(value),)
        elif many and isinstance(value, list | tuple):
            items = [_text(v) for v in value]
            same = type(value) is tuple and all(a is b for a, b in zip(items, value, strict=True))
            fixed = value if same else tuple(items)
        else:
            fixed = _text(value)
        if fixed is not value:
            object.__setattr__(cfg, name, fixed)
    expand_user_fields(cfg, *paths)

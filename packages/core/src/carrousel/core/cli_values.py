"""Values crossing the command line's edge (no CLI library needed): numbers given as options are finite
and within 64 bits (:func:`number_problem`) and within their option's range (:class:`FloatRange`), texts
marked :class:`NonBlank` hold something (:func:`blank_problem`), and results become strict JSON
(:func:`to_jsonable`).

:mod:`carrousel.core.cli` uses both: every option is checked before a command's body runs, and
``--json`` prints through :func:`to_jsonable`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import sys
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.core.atomic import refuse_stream_dir
from carrousel.core.cli_streams import names_stdout
from carrousel.core.encodings import strict_text
from carrousel.core.errors import ConfigError

__all__ = [
    "Above",
    "Below",
    "FloatRange",
    "JsonListWriter",
    "NonBlank",
    "OutputFolder",
    "blank_problem",
    "number_problem",
    "option_problem",
    "shell_path",
    "text_problem",
    "to_jsonable",
]

_INT64 = 1 << 63


def number_problem(value: Any) -> str | None:
    """What is wrong with an option's number (a NaN or infinite float, an integer beyond 64 bits), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number; give a finite value"
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return f"{value} is beyond 64 bits; give a smaller number"
    return None


@dataclass(frozen=True)
class Above:
    """Marks a float option's lower bound as excluded: ``Annotated[float, Option(), Above(0.0)]`` takes x > 0."""

    bound: float  # the value must be greater than this


@dataclass(frozen=True)
class Below:
    """Marks a float option's upper bound as excluded: ``Annotated[float, Option(min=0.0), Below(1.0)]``
    takes ``[0, 1)`` (an option's ``max=`` is inclusive)."""

    bound: float  # the value must be smaller than this


@dataclass(frozen=True)
class OutputFolder:
    """Marks a path option as naming a folder the command writes: ``Annotated[Path, Option(), OutputFolder()]``.
    ``-`` (standard output for a file option) is then a usage error before any work, instead of a folder
    named ``-`` in the working directory; so is every other name of stdout, the file it goes to included
    (``--out f > f``: was "f is a file, not a folder")."""


@dataclass(frozen=True)
class NonBlank:
    """Marks a text argument or option as holding something: ``Annotated[list[str] | None, Argument(),
    NonBlank()]``. An empty text (``""``: an unset shell variable, ``"$TEXT"``), or one of whitespace or
    invisible characters only, is then a usage error naming the parameter, before any work (a model
    loaded to fail on it, or a value silently ignored)."""


def blank_problem(value: Any) -> str | None:
    """What is wrong with a text that must hold something (:class:`NonBlank`): empty, or whitespace and
    invisible characters (U+200B, U+FEFF...) only; else None."""
    if isinstance(value, str) and all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in value):
        if not value:
            kind = "an empty text"
        elif value.isspace():  # shown as typed, its spaces would fold into the line's
            kind = "a text of whitespace only"
        else:
            kind = f"a text of invisible characters only ({value!a})"
        return f"{kind}; give the text or leave it out"
    return None


def text_problem(value: Any) -> str | None:
    """What is wrong with a text given on the command line: bytes that are not UTF-8 (Python keeps them as
    lone surrogates, which fail later, far from the argument), else None. Paths are not texts."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:  # UTF-8 read in an ASCII locale (LC_ALL=C without Python's UTF-8 mode)
            return (
                f"'{text}' is UTF-8 but the locale's encoding is {sys.getfilesystemencoding()}, so it was "
                "not read as typed; run in a UTF-8 locale (LANG=C.UTF-8) or with PYTHONUTF8=1"
            )
        shown = raw.decode("utf-8", "backslashreplace")
        return (
            f"'{shown}' holds bytes that are not UTF-8; give the text in UTF-8 (the terminal's or the "
            "script's encoding, e.g. LANG=C.UTF-8)"
        )
    return None


def shell_path(value: Any) -> Any:
    """A path option as the shell left it, never expanded again: a :class:`~pathlib.Path` that still starts
    with ``~`` (the user quoted it, or typed ``./~``, which ``Path`` shortens to ``~``) is made absolute, so
    the library's ``~`` expansion for Python callers (:mod:`carrousel.core.paths`) reads it literally as
    before; a list or tuple item by item; any other value as it is.
    """
    if isinstance(value, list | tuple):
        return type(value)(shell_path(v) for v in value)
    if isinstance(value, Path) and value.parts[:1] and value.parts[0].startswith("~"):
        return Path.cwd() / value
    return value


def option_problem(value: Any, annotation: Any) -> str | None:
    """What is wrong with an option's value: a number's problem (:func:`number_problem`), a text's
    (:func:`text_problem`), a blank text given to a parameter marked :class:`NonBlank`, or ``-`` given to
    an option marked :class:`OutputFolder` (or any name of stdout, the file it goes to too); else None."""
    marks = getattr(annotation, "__metadata__", ())
    if any(isinstance(m, NonBlank) for m in marks) and (problem := blank_problem(value)) is not None:
        return problem
    if value is not None and any(isinstance(m, OutputFolder) for m in marks):
        try:
            refuse_stream_dir(value, "this option", is_stdout=names_stdout(value))  # -o f > f too
        except ConfigError as exc:
            return str(exc)
    return number_problem(value) or text_problem(value)


@dataclass(frozen=True)
class FloatRange:
    """Parses a float option's text: a number, then finite (checked first: a NaN is not "below 0"), then in
    ``[low, high]`` (a bound excluded when ``low_open`` / ``high_open``). Raises ValueError naming the problem."""

    low: float | None = None  # smallest value allowed (None: no bound)
    high: float | None = None  # largest value allowed, or the excluded bound when high_open (None: no bound)
    high_open: bool = False  # the value must be below ``high``
    low_open: bool = False  # the value must be above ``low``

    def describe(self) -> str:
        """The range as the help shows it: ``x>=0``, ``0<=x<1``."""
        if self.high is None:
            return "any number" if self.low is None else f"x>{'' if self.low_open else '='}{self.low:g}"
        low = "" if self.low is None else f"{self.low:g}<{'' if self.low_open else '='}"
        return f"{low}x{'<' if self.high_open else '<='}{self.high:g}"

    def __call__(self, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number") from None
        if (problem := number_problem(number)) is not None:
            raise ValueError(problem)
        if (self.low is not None and (number <= self.low if self.low_open else number < self.low)) or (
            self.high is not None and (number >= self.high if self.high_open else number > self.high)
        ):
            raise ValueError(f"{number:g} is outside {self.describe()}; give a value in that range")
        return number


def to_jsonable(obj: Any) -> Any:
    """Plain JSON values from dataclasses, enums, paths, NumPy scalars and arrays (recursively); a text or
    path holding bytes not valid in the locale (an ASCII one) has them read back as UTF-8 (U+FFFD where
    they are not), since strict JSON readers refuse the lone surrogates Python keeps them as.

    Raises:
        ConfigError: a NaN or infinite number (it must never reach an output), or a value without JSON form.
    """
    if isinstance(obj, str):
        return strict_text(obj)
    if obj is None or isinstance(obj, bool | int):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ConfigError(f"a result holds a non-finite number ({obj}); it is not written")
        return obj
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, Path):
        return strict_text(str(obj))
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {strict_text(str(k)): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    raise ConfigError(f"a result holds a {type(obj).__name__}, which has no JSON form")


class JsonListWriter:
    """Writes a strict JSON list one item at a time, byte for byte as ``json.dumps(..., indent=2)`` writes it
    whole: a long result streams out as it is made instead of being held until the end.

    Args:
        write: called with each piece of text (the CLI passes an echo to stdout without newline).
        within: an object whose last key, ``key``, holds the list (``{"beam": 5, "translations": [...]}``):
            its other keys are written with the first item (or at :meth:`close`), the list inside it, so
            an error before the first item leaves nothing on stdout; None: the list is the whole document.
        key: the list's key in ``within``.
    """

    def __init__(
        self, write: Callable[[str], None], within: Mapping[str, Any] | None = None, key: str = ""
    ) -> None:
        self._write, self._pad, self._end, self._head = write, "", "", ""
        self.count = 0  # items written
        if within is not None:
            head = json.dumps(to_jsonable({**within, key: []}), indent=2, allow_nan=False)
            self._head = head.removesuffix("[]\n}")  # checked (strict JSON) now, written with the first item
            self._pad, self._end = "  ", "\n}"

    def add(self, obj: Any) -> None:
        """Writes one item (through :func:`to_jsonable`; NaN or infinity raise ValueError)."""
        pad = self._pad + "  "
        text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False).replace("\n", "\n" + pad)
        self._write((self._head + "[\n" if self.count == 0 else ",\n") + pad + text)
        self.count += 1

    def close(self) -> None:
        """Ends the list (``[]`` when no item was written) and the object around it, then a newline."""
        self._write((f"\n{self._pad}]" if self.count else self._head + "[]") + self._end + "\n")

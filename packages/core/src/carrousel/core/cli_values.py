"""Values crossing the command line's edge (no CLI library needed): numbers given as options are finite
and within 64 bits (:func:`number_problem`), and results become strict JSON (:func:`to_jsonable`).

:mod:`carrousel.core.cli` uses both: every option is checked before a command's body runs, and
``--json`` prints through :func:`to_jsonable`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.core.errors import ConfigError

__all__ = ["number_problem", "to_jsonable"]

_INT64 = 1 << 63


def number_problem(value: Any) -> str | None:
    """What is wrong with an option's number (a NaN or infinite float, an integer beyond 64 bits), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number; give a finite value"
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return f"{value} is beyond 64 bits; give a smaller number"
    return None


def to_jsonable(obj: Any) -> Any:
    """Plain JSON values from dataclasses, enums, paths, NumPy scalars and arrays (recursively).

    Raises:
        ConfigError: a NaN or infinite number (it must never reach an output), or a value without JSON form.
    """
    if obj is None or isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ConfigError(f"a result holds a non-finite number ({obj}); it is not written")
        return obj
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    raise ConfigError(f"a result holds a {type(obj).__name__}, which has no JSON form")

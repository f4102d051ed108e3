"""JSON text read with finite numbers only: Python's :mod:`json` reads ``NaN``, ``Infinity`` and
``-Infinity`` and turns a number too large for a float (``1e999``) into infinity, none of which a
carrousel file ever holds (every writer refuses non-finite numbers), so a reader refuses them.

Example:
    >>> loads_finite('{"mae": 1.5}')
    {'mae': 1.5}
    >>> loads_finite('{"mae": NaN}')
    Traceback (most recent call last):
    ...
    ValueError: NaN
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads_finite"]


def _constant(name: str) -> Any:
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def loads_finite(text: str) -> Any:
    """``json.loads(text)`` refusing non-finite numbers.

    Raises:
        json.JSONDecodeError: ``text`` is not JSON.
        ValueError: (not a ``JSONDecodeError``) a ``NaN``, ``Infinity`` or ``-Infinity`` token, or a number
            that overflows a float; its message is the token as written.
    """
    return json.loads(text, parse_constant=_constant, parse_float=_finite)

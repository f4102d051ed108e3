"""The checks :mod:`carrousel.speech.config`'s dataclasses make in ``__post_init__``: one
:class:`~carrousel.speech.errors.SpeechConfigError` line naming the setting, its bounds and the value given.

Torch-free.
"""

from __future__ import annotations

import math

from carrousel.core.args import check_args
from carrousel.speech.errors import SpeechConfigError

__all__ = ["check", "finite", "pair", "within"]


def check(ok: object, message: str) -> None:
    """Raises :class:`SpeechConfigError` with ``message`` unless ``ok`` is true (a condition's value)."""
    if not ok:
        raise SpeechConfigError(message)


def finite(cfg: object, *names: str) -> None:
    """Fails unless each field ``names`` of ``cfg`` is a finite number."""
    for name in names:
        value = getattr(cfg, name)
        check(math.isfinite(value), f"{name} must be a finite number, got {value!r}")


@check_args
def within(cfg: object, name: str, low: float, high: float) -> None:
    """Fails unless the field ``name`` of ``cfg`` is in ``low..high`` (both included)."""
    value, (lo, hi) = getattr(cfg, name), (f"{b:g}" if isinstance(b, float) else b for b in (low, high))
    check(low <= value <= high, f"{name} must be in {lo}..{hi}, got {value}")


@check_args
def pair(value: tuple[float, float], name: str, lo: float, hi: float) -> None:
    """Fails unless ``value`` (the field ``name``) is ``(low, high)`` with ``lo <= low <= high <= hi``."""
    check(
        len(value) == 2 and all(math.isfinite(v) for v in value) and lo <= value[0] <= value[1] <= hi,
        f"{name} must be (low, high) with {lo} <= low <= high <= {hi}, got {value}",
    )

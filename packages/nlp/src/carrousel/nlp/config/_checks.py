"""The value checks the nlp configs' ``__post_init__`` share: each raises
:class:`~carrousel.nlp.errors.NLPConfigError`, one line naming the value and what to give instead."""

from __future__ import annotations

import math

from carrousel.nlp.char_fold import UNK_MODES
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.label_map import LabelMapError, parse_label_map

__all__ = ["check_export_options", "check_label_map", "check_unk", "fraction", "need", "positive"]


def need(ok: bool, message: str) -> None:
    if not ok:
        raise NLPConfigError(message)


def check_label_map(text: str | None) -> None:
    """A ``--label-map`` that is not ``DATA=MODEL,...`` as an :class:`NLPConfigError`."""
    if text is not None:
        try:
            parse_label_map(text)
        except LabelMapError as e:
            raise NLPConfigError(str(e)) from None


def check_export_options(precision: str, exporter: str) -> None:
    """The ``export`` commands' shared checks of ``--precision`` and ``--exporter``."""
    need(precision in ("fp32", "int8"), f"precision must be fp32 or int8, not {precision!r}")
    need(exporter in ("torchscript", "dynamo"), f"exporter must be torchscript or dynamo, not {exporter!r}")


def check_unk(unk: str | None) -> None:
    """An ``[UNK]`` reading (None: the bundle's) that is not one of :data:`UNK_MODES` as an NLPConfigError."""
    need(unk is None or unk in UNK_MODES, f"unk must be one of {', '.join(UNK_MODES)}, not {unk!r}")


def positive(**values: int | float) -> None:
    for name, value in values.items():
        need(
            math.isfinite(value) and value > 0,
            f"{name} must be > 0, got {value}",
        )


def fraction(name: str, value: float, low_open: bool = False) -> None:
    ok = math.isfinite(value) and (value > 0.0 if low_open else value >= 0.0) and value < 1.0
    need(ok, f"{name} must be in {'(' if low_open else '['}0, 1), got {value}")

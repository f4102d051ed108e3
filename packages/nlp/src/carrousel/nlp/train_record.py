"""The training settings an nlp bundle records, in the shape of the command's ``--config`` file.

``nlp sentiment|generate|translate train`` write ``config`` into ``bundle.json``'s provenance (``data``):
one table per part (``data``, ``tokenizer``, ``model``, ``fit``; ``teacher`` for a distilled sentiment
model, ``nlp sentiment train --teacher``'s settings) and ``train`` for the run's own settings
(the train config's fields outside those tables: ``bptt``, ``members``, ``label_smoothing``...), every value
as resolved (flag, else the file's, else the command's default). Written out as TOML, it is a ``--config``
file that trains the same weights again with the same seed (as speech records ``provenance.config``);
``[fit] progress`` is left out (the display, not a training setting: ``-q`` turns the bars off). The
figures the command prints go beside it, under ``train`` (:func:`run_figures`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from carrousel.core.config import to_dict

__all__ = ["TOP_TABLE", "config_record", "run_figures", "top_table", "train_record"]

TOP_TABLE = "train"  # the table of the train config's own fields (outside data/tokenizer/model/fit)
_PARTS = ("data", "tokenizer", "model", "fit", "teacher")  # the nested tables recorded (teacher: when set)
_DISPLAY = ("progress",)  # [fit] fields that are not training settings
_OWN: dict[type[Any], type[Any]] = {}  # train config -> its [train] table's class


def _nested(tp: Any) -> bool:
    """Whether a field of type ``tp`` holds a config table (a dataclass, or one or None)."""
    if dataclasses.is_dataclass(tp):
        return True
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return any(dataclasses.is_dataclass(a) for a in typing.get_args(tp))
    return False


def top_table(cls: type[Any]) -> type[Any]:
    """A config class for the ``[train]`` table of ``cls`` (a train config): its fields that are not tables,
    with their types and defaults (their checks are ``cls``'s, once the config is built); made once."""
    if cls in _OWN:
        return _OWN[cls]
    hints = typing.get_type_hints(cls)
    specs = [
        (f.name, hints[f.name], dataclasses.field(default=f.default))
        for f in dataclasses.fields(cls)
        if not _nested(hints[f.name]) and f.default is not dataclasses.MISSING
    ]
    _OWN[cls] = dataclasses.make_dataclass(f"{cls.__name__}Own", specs, frozen=True)
    return _OWN[cls]


def config_record(cfg: Any) -> dict[str, dict[str, Any]]:
    """The resolved settings of the train config ``cfg`` as the tables of its ``--config`` file (values None
    left out, as TOML cannot hold them: their default is None; a nested table that is None too)."""
    hints = typing.get_type_hints(type(cfg))
    tables: dict[str, dict[str, Any]] = {}
    own: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if _nested(hints[f.name]):
            if dataclasses.is_dataclass(value) and f.name in _PARTS:
                tables[f.name] = {k: v for k, v in to_dict(value).items() if v is not None}
        elif value is not None:
            own[f.name] = list(value) if isinstance(value, tuple) else value
    for key in _DISPLAY:
        tables.get("fit", {}).pop(key, None)
    return {**tables, TOP_TABLE: own}


def run_figures(result: Any, leave: tuple[str, ...] = ("out",)) -> dict[str, Any]:
    """The figures a train command prints, from its result dataclass (``leave``: fields not recorded), for
    ``bundle.json``'s provenance ``train`` (as speech records its run): ``-q`` loses nothing. A number that
    is not finite is recorded as None (JSON has no NaN)."""
    from carrousel.core.curves import finite_json  # not at the CLI's start-up (train_record's TOP_TABLE is)

    return {k: finite_json(v) for k, v in dataclasses.asdict(result).items() if k not in leave}


def train_record(cfg: Any, report: Any, leave: tuple[str, ...] = ("out",)) -> dict[str, Any]:
    """``config`` (:func:`config_record`) and ``train`` (:func:`run_figures`) for a bundle's provenance."""
    return {"config": config_record(cfg), "train": run_figures(report, leave)}

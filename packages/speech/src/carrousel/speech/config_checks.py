"""The checks :mod:`carrousel.speech.config`'s dataclasses make in ``__post_init__``: one
:class:`~carrousel.speech.errors.SpeechConfigError` line naming the setting, its bounds and the value given.

Torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from carrousel.core.args import check_args
from carrousel.core.cli_config import flag_or_file
from carrousel.core.option_names import option
from carrousel.speech.errors import SpeechConfigError

__all__ = ["check", "check_train_data", "corpora_held", "finite", "pair", "train_corpus", "within"]


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


@check_args
def check_train_data(
    train_data: Sequence[str], prune: float, distill: int, error: type[Exception] = SpeechConfigError
) -> None:
    """Fails unless ``train_data`` (the corpora to fine-tune on) is empty or comes with ``prune`` or
    ``distill``, the trainings that read it: it would be ignored without a word. The one wording of
    ``SpeechExportConfig`` (a :class:`SpeechConfigError`, exit 1) and of ``speech export``, which checks
    its flags first (``typer.BadParameter``: a usage error, exit 2).

    Raises:
        error: ``train_data`` given without either.
    """
    if train_data and prune == 0 and not distill:
        f, h = option("prune", metavar="F"), option("distill", metavar="H")
        raise error(
            f"{option('train_data')} is for {option('prune')} or {option('distill')} (the training corpus); "
            f"give {f} or {h}"
        )


def train_corpus(
    data: Sequence[str] | None, settings: Mapping[str, Any], error: type[Exception] = SpeechConfigError
) -> dict[str, list[str]]:
    """``speech train``'s ``data`` over its ``--config`` file's ``settings``: the corpora typed (``--data``),
    else nothing (the file's ``data`` reaches the run: a required ``--data`` always won over it before).

    Raises:
        error: no corpus typed and none in the file (``speech train`` gives ``typer.BadParameter``: exit 2).
    """
    message = f"give {option('data', metavar='CORPUS')} (repeatable), or data in the --config file"
    return {} if flag_or_file(bool(data), settings, "data", message, error) else {"data": list(data or ())}


def corpora_held(data: Sequence[str] | None, config: str | Path | None) -> dict[str, str]:
    """How ``speech train``'s messages name the corpora (the ``held`` of core's
    :func:`~carrousel.core.cli_config.settings_block`): as the ``--config`` file holds them (``data in
    run.toml: corpus/m.tsv: no such file or folder``) when no ``--data`` was typed (the file's reached the
    run), not by a ``--data`` flag never typed; with ``--data`` typed, nothing (the flag names them)."""
    return {"data": f"data in {config}:"} if not data and config is not None else {}

"""The export choices a command line offers (torch-free, so that ``--help`` and usage errors stay fast)."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, ExportError
from carrousel.core.option_names import option

__all__ = [
    "DeployPrecision",
    "Exporter",
    "InferencePrecision",
    "PrecisionSource",
    "check_exporter",
    "check_precision_name",
    "check_variant",
    "precision_from",
    "precision_source",
]


class Exporter(enum.StrEnum):
    """Which PyTorch ONNX exporter to use."""

    TORCHSCRIPT = "torchscript"
    DYNAMO = "dynamo"


class DeployPrecision(enum.StrEnum):
    """Numeric format of the deployed ONNX file."""

    FP32 = "fp32"  # float32 graph, ONNX Runtime's optimisations only
    INT8 = "int8"  # dynamic int8 of ExportSpec.int8_ops; static (calibrated) int8 of its static_ops


def check_exporter(exporter: Exporter | str) -> Exporter:
    """``exporter`` as an :class:`Exporter` (a member, or its name), the one check of every export entry
    point (:func:`~carrousel.core.export.onnx.export_onnx`, :func:`~carrousel.core.export.deploy.export_bundle`).

    Raises:
        ExportError: ``unknown exporter 'onnx'; choose one of: torchscript, dynamo``.
    """
    try:
        return Exporter(exporter)
    except ValueError:
        choices = ", ".join(e.value for e in Exporter)
        raise ExportError(f"unknown exporter {exporter!r}; choose one of: {choices}") from None


class InferencePrecision(enum.StrEnum):
    """Numeric format a PyTorch network runs inference in (``--precision`` of the domain commands that run
    a model; :func:`carrousel.core.export.reduced_precision` applies it, :func:`carrousel.core.device.inference_dtype`
    checks it against the device)."""

    FP32 = "fp32"  # float32, as trained
    BF16 = "bf16"  # bfloat16 autocast: CPU (slower than fp32 there, measured) and CUDA GPUs with bf16
    FP16 = "fp16"  # float16 autocast: CUDA / MPS only (oneDNN's CPU float16 LSTM is not offered)


def check_precision_name(value: object, error: type[Exception] = ConfigError) -> InferencePrecision:
    """``value`` as an :class:`InferencePrecision` (a member, or its name) for a config's ``precision``
    field, in every domain the same: a ``--config`` file's wrong value reads ``[fit] in run.toml: precision
    must be one of fp32, bf16, fp16, not 'fp8'`` (a field typed :class:`InferencePrecision` reaches this
    check whatever its kind, so ``precision = 3`` says the same; a ``str`` field would be refused first as
    "expected a string"). Whether the device runs it is :func:`carrousel.core.device.check_precision`'s
    question.

    Raises:
        error: one line naming the field, the allowed values and the value given.
    """
    name = value.value if isinstance(value, enum.Enum) else value
    options = [m.value for m in InferencePrecision]
    if not isinstance(name, str) or name not in options:
        raise error(f"precision must be one of {', '.join(options)}, not {name!r}")
    return InferencePrecision(name)


@dataclass(frozen=True)
class PrecisionSource:
    """Where a run's precision came from, for the messages that refuse (or warn about) it: the ``--precision``
    flag (the default: ``precision='fp16'`` to a Python caller, through :func:`option`), or a key of a
    ``--config`` file, so that a file's ``fp16`` refused on the CPU names the file rather than a flag the
    user never gave."""

    key: str = "--precision"  # the flag, or the file's key as messages name it ("[fit] precision")
    file: str | None = None  # the --config file that set it (None: the flag)

    @classmethod
    @check_args
    def of(cls, flag_given: bool, config: str | Path | None, key: str) -> PrecisionSource:
        """The flag when it was given or no ``config`` file was, else ``key`` in ``config`` (a file that
        leaves the key out leaves fp32, which no device refuses)."""
        return cls() if flag_given or config is None else cls(key, str(config))

    def said(self, precision: str) -> str:
        """The setting as the user gave it: ``--precision fp16`` (``precision='fp16'`` to a Python caller),
        ``[fit] precision = "fp16" in run.toml``."""
        if self.file is None:
            return option("precision", precision, self.key)
        return f'{self.key} = "{precision}" in {self.file}'

    def fix(self, precision: str) -> str:
        """How to give ``precision`` instead: the flag (which wins over a file), and the file's key where the
        file set it."""
        if self.file is None:
            return option("precision", precision, self.key)
        return f'--precision {precision} (or {self.key} = "{precision}" there)'


_SOURCE: ContextVar[PrecisionSource | None] = ContextVar("carrousel_precision_source", default=None)


def precision_source() -> PrecisionSource:
    """The :class:`PrecisionSource` of the run in progress (:func:`precision_from`; the flag by default)."""
    return _SOURCE.get() or PrecisionSource()


@contextlib.contextmanager
def precision_from(source: PrecisionSource) -> Iterator[None]:
    """Within the block, precision checks (:func:`carrousel.core.device.check_precision`, a domain's own)
    name ``source`` in their messages: a train command wraps its run in it once it knows whether its
    ``--precision`` flag or its ``--config`` file set the precision."""
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


@check_args
def check_variant(prune: float, distill: int, error: type[Exception] = ConfigError) -> None:
    """Checks a domain export's smaller-model options: ``--prune F`` (a share in [0, 1)) and ``--distill H``
    (a student's hidden units in [0, 4096]), 0 meaning none; at most one of them.

    Raises:
        error: an option out of range, or both given.
    """
    if not 0 <= distill <= 4096 or isinstance(distill, bool) or not isinstance(distill, int):
        raise error(f"{option('distill', distill)}: give the student's hidden units, in [0, 4096] (0: none)")
    if prune and distill:
        raise error(
            f"{option('distill')} and {option('prune')} are two variants of the export; give one of them"
        )

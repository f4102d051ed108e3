"""The :class:`Metric` base class: accumulated state, reset, and reduction across processes.

A metric keeps two kinds of state:

* *sum* states: tensors added element-wise over batches (counts, sums of errors, per-class counts).
  A 1-D sum state may grow (per-class counts when the number of classes is learned from the data);
  shorter tensors are zero-padded before adding.
* *cat* states: tensors concatenated along dim 0 over batches (scores and labels for exact AUCs).

``compute()`` first merges the state of every process when ``torch.distributed`` is initialised
(one ``all_gather_object`` of the CPU state, so it works with gloo and nccl, ranks may hold different
numbers of samples, and a rank that saw no samples simply contributes nothing), then computes the
value from the merged state. Every rank must therefore call ``compute()`` together, like any
collective. With nccl, each rank must have called ``torch.cuda.set_device`` first (as DDP set-ups
do). State stays on the device of the inputs between updates, so ``update`` never forces a
host-device synchronisation for the sum-based metrics.
"""

from __future__ import annotations

import abc
import functools
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar, TypeAlias

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.device import wide_float
from carrousel.core.errors import DataError, ShapeError, error_line, rank_failure

__all__ = ["Metric", "Values", "as_tensors", "distributed_active", "value_of"]

Values: TypeAlias = Tensor | np.ndarray | Sequence[Any] | float
"""What a metric takes: a tensor, a numpy array, a (nested) list or tuple of numbers, or one number."""


def distributed_active() -> bool:
    """Returns True when ``torch.distributed`` is initialised with more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _as_tensor(value: object, name: str, role: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray | np.generic | Sequence | int | float) and not isinstance(
        value, str | bytes
    ):
        array = np.asarray(value) if isinstance(value, np.ndarray | np.generic) else None
        if array is not None and array.dtype.kind in "biuf":
            return torch.as_tensor(array.copy())  # numpy's dtype kept (float64 stays float64)
        if array is None:
            try:
                return torch.as_tensor(value)  # as torch.tensor(list) would: float32, int64, bool
            except (TypeError, ValueError, RuntimeError):
                pass
    raise ShapeError(
        f"{name}: {role} must be a tensor, a numpy array or a list of numbers of one shape, got "
        f"{type(value).__name__}" + (f" of {value.dtype}" if isinstance(value, np.ndarray) else "")
    )


def as_tensors(preds: Values, target: Values, name: str, role: str = "preds") -> tuple[Tensor, Tensor]:
    """Both inputs of a metric as tensors: tensors unchanged, numpy arrays and lists converted.

    Args:
        preds: predictions, scores or logits.
        target: true values or labels.
        name: the metric, named in the error.
        role: what ``preds`` is called in the error (``"scores"`` for the ranking metrics).

    Raises:
        ShapeError: an input that is none of those (a dict, a string, a ragged list, an object array).
    """
    return _as_tensor(preds, name, role), _as_tensor(target, name, "target")


def _add_padded(a: Tensor, b: Tensor) -> Tensor:
    """Adds two sum states, zero-padding a shorter 1-D state to the longer one's length."""
    b = b if b.device == a.device else b.to(a.device)
    if a.shape == b.shape:
        return a + b
    if a.dim() != 1 or b.dim() != 1:
        raise ShapeError(f"metric state shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be combined")
    n = max(a.numel(), b.numel())
    out = torch.zeros(n, dtype=a.dtype, device=a.device)
    out[: a.numel()] += a
    out[: b.numel()] += b
    return out


class Metric(abc.ABC):
    """Base class of the stateful metrics.

    Subclasses implement :meth:`update` (using :meth:`add` and :meth:`append` to record state) and
    :meth:`compute_from_state` (turning merged state into a float); :meth:`compute` calls it on the state
    of every process. A metric written against the former private names (``_compute``, ``_add``,
    ``_append``, ``_need``) keeps working unchanged; a subclass of a core metric (whose code calls the
    public names) that overrides ``_compute``, ``_add`` or ``_append``, or any metric overriding ``_add`` or
    ``_append``, still has its override called, with a ``DeprecationWarning`` once per class naming the
    public name to use.

    Example:
        >>> class MeanAbsError(Metric):
        ...     def update(self, preds: Tensor, target: Tensor) -> None:
        ...         self.add("abs", (preds - target).abs().sum().reshape(1))
        ...         self.add("n", torch.tensor([float(target.numel())]))
        ...
        ...     def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        ...         n = self.need(sums, "n", "mean absolute error")  # DataError before any update
        ...         return float(sums["abs"].sum() / n.sum())
        >>> m = MeanAbsError()
        >>> m.update(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]))
        >>> m.compute()
        1.5

    Attributes:
        higher_is_better: True when larger values are better (accuracy), False for errors and losses.
            The Trainer checks ``TrainConfig.mode`` against it when the metric is monitored (a ``"min"``
            on accuracy is refused: it would keep the worst epoch).
    """

    higher_is_better: ClassVar[bool] = False
    _running: frozenset[str] = frozenset()  # the overridden private hooks being called (_dispatch)

    def __init__(self) -> None:
        cls = type(self)
        if cls.compute_from_state is Metric.compute_from_state and cls._compute is Metric._compute:
            raise TypeError(
                f"Can't instantiate metric {cls.__name__} without compute_from_state(sums, cats); define "
                "it to return the metric's value from the merged state"
            )
        self._sums: dict[str, Tensor] = {}
        self._cats: dict[str, list[Tensor]] = {}

    def reset(self) -> None:
        """Clears all accumulated state."""
        self._sums = {}
        self._cats = {}

    @abc.abstractmethod
    def update(self, preds: Tensor, target: Tensor) -> None:
        """Adds one batch of predictions and targets to the state."""

    def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        """The metric's value from the merged state: the hook a subclass defines.

        Args:
            sums: every sum state by name (what :meth:`add` recorded), added over batches and processes.
            cats: every cat state by name (what :meth:`append` recorded), concatenated along dim 0.

        Returns:
            The value, a float.

        Raises:
            DataError: the state is empty (:meth:`need` says so) or cannot define the metric.
        """
        return self._compute(sums, cats)  # a metric written against the former, private hook

    def _compute(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        """The former, private name of :meth:`compute_from_state`, kept for metrics that define it."""
        return self.compute_from_state(sums, cats)

    @check_args
    def compute(self, sync: bool = True) -> float:
        """Returns the metric over everything seen since the last :meth:`reset`.

        Args:
            sync: merge the state of all processes first when ``torch.distributed`` is initialised
                with more than one process. Every rank must then call ``compute`` (a collective).

        Raises:
            DataError: when no samples were seen (on any rank), or the data cannot define the metric
                (for example ROC-AUC with one class only).
        """
        sync = sync and distributed_active()
        try:
            sums, cats = dict(self._sums), {k: torch.cat(v) for k, v in self._cats.items() if v}
        except Exception as exc:  # the other ranks must hear of it: they wait in the gather
            if not sync:
                raise
            sums, cats = _gather_state({}, {}, exc, type(self).__name__)
        if sync:
            sums, cats = _gather_state(sums, cats, None, type(self).__name__)
        try:
            if _overridden(type(self), "_compute", "compute_from_state") and "_compute" not in self._running:
                return float(self._dispatch("_compute", sums, cats))
            return float(self.compute_from_state(sums, cats))
        except KeyError:  # a metric of one's own reading its state without need(): was KeyError 'err'
            if sums or cats:
                raise
            raise DataError(
                f"{type(self).__name__}: no samples were seen; call update() before compute()"
            ) from None

    @property
    def empty(self) -> bool:
        """True when this process has seen no samples since the last reset."""
        return not self._sums and not self._cats

    def add(self, name: str, value: Tensor) -> None:
        """Adds ``value`` to the sum state ``name`` (created on first use, in float64; a shorter 1-D
        state is zero-padded to the longer one, so per-class counts may grow)."""
        if _overridden(type(self), "_add", "add") and "_add" not in self._running:
            self._dispatch("_add", name, value)
            return
        value = value.detach()
        value = value.to(wide_float(value.device))  # float64 (MPS: float32)
        old = self._sums.get(name)
        self._sums[name] = value.clone() if old is None else _add_padded(old, value)

    def append(self, name: str, value: Tensor) -> None:
        """Appends ``value`` (concatenated along dim 0 at compute time) to the cat state ``name``."""
        if _overridden(type(self), "_append", "append") and "_append" not in self._running:
            self._dispatch("_append", name, value)
            return
        self._cats.setdefault(name, []).append(value.detach())

    @staticmethod
    def need(sums: dict[str, Tensor], name: str, metric: str) -> Tensor:
        """Returns the sum state ``name``, or raises DataError naming ``metric`` when no samples were seen."""
        if name not in sums:
            raise DataError(f"{metric}: no samples were seen; call update() before compute()")
        return sums[name]

    # the former, private names of the state helpers, kept for metrics written against them: an override
    # of _add or _append is called by add and append (_dispatch), and reaches these through super()
    def _add(self, name: str, value: Tensor) -> None:
        self._dispatch("_add", name, value, public=True)

    def _append(self, name: str, value: Tensor) -> None:
        self._dispatch("_append", name, value, public=True)

    _need = need

    def _dispatch(self, hook: str, *args: Any, public: bool = False) -> Any:
        """Calls the subclass's override of the former private ``hook`` (``public``: the public method,
        reached from that override through ``super()``, or called by a former-style ``update``), marked
        as running: the public method then does the work, not the override again."""
        running = self._running
        self._running = running | {hook}
        try:
            return getattr(self, hook.removeprefix("_") if public else hook)(*args)
        finally:
            self._running = running

    def __repr__(self) -> str:
        return f"{type(self).__name__}(higher_is_better={self.higher_is_better})"


@functools.cache
def _overridden(cls: type[Metric], private: str, public: str) -> bool:
    """True when ``cls`` overrides the former private hook ``private`` in a class below the one defining
    ``public`` (a subclass of a core metric, whose code calls ``public``); warns once per class and hook.
    A ``_compute`` under Metric's own ``compute_from_state`` (which calls it) is the former way, unchanged."""
    mro = cls.__mro__
    owner = next(k for k in mro if private in vars(k))
    public_owner = next(k for k in mro if public in vars(k))
    if owner is Metric or mro.index(owner) > mro.index(public_owner):
        return False
    if public_owner is Metric and public == "compute_from_state":
        return False
    warnings.warn(
        f"{cls.__name__} overrides {private}, the former private name of {public}: it is still called, but "
        f"rename it {public} (and call super().{public})",
        DeprecationWarning,
        stacklevel=4,
    )
    return True


def value_of(metric: Metric, preds: Values, target: Values) -> float:
    """``metric`` over one batch of ``preds`` and ``target``, on this process alone (no merge across
    ranks): what each functional form (:func:`mae`, :func:`roc_auc`, :func:`accuracy`...) returns."""
    metric.update(preds, target)  # type: ignore[arg-type]  # subclasses take Values (as_tensors)
    return metric.compute(sync=False)


def _gather_state(
    sums: dict[str, Tensor], cats: dict[str, Tensor], failure: Exception | None, name: str
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Merges the state of all ranks: sum states are added, cat states concatenated in rank order. A rank
    whose own state failed (``failure``) says so in the same gather, and every rank raises: that one its
    error, the others a :class:`CarrouselError` naming it (before, it raised alone, the others waiting in
    the gather: a hang, or gloo's abort)."""
    line = None if failure is None else error_line(failure)
    payload = ({k: v.cpu() for k, v in sums.items()}, {k: v.cpu() for k, v in cats.items()}, line)
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, payload)
    if failure is not None:
        raise failure
    for rank, (_, _, line) in enumerate(gathered):
        if line is not None:
            raise rank_failure(f"{name}.compute", rank, line)
    out_sums: dict[str, Tensor] = {}
    cat_parts: dict[str, list[Tensor]] = {}
    for rank_sums, rank_cats, _ in gathered:
        for k, v in rank_sums.items():
            out_sums[k] = v.clone() if k not in out_sums else _add_padded(out_sums[k], v)
        for k, v in rank_cats.items():
            cat_parts.setdefault(k, []).append(v)
    return out_sums, {k: torch.cat(v) for k, v in cat_parts.items()}

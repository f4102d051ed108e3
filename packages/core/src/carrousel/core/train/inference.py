"""Evaluation and prediction loops shared by :class:`~carrousel.core.train.Trainer` and tools."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.device import (
    Precision,
    autocast,
    check_exported_precision,
    evaluating,
    floating_dtype,
    inference_dtype,
    move_batch,
    move_to,
    run_in_precision,
)
from carrousel.core.errors import DataError
from carrousel.core.train import distributed as dist_utils
from carrousel.core.train.task import Task, check_loss
from carrousel.core.train.tbptt import past_end

if TYPE_CHECKING:
    from carrousel.core.metrics import Metric

__all__ = ["batch_chunks", "evaluate_loop", "evaluating", "iter_outputs", "predict", "predict_loop"]


@check_args
def batch_chunks(task: Task, batch: Any, tbptt_steps: int, skip_past_end: bool = False) -> list[Any]:
    """``[batch]``, or for a stateful task with ``tbptt_steps`` > 0 its TBPTT chunks (:meth:`Task.split`);
    ``skip_past_end`` leaves out the chunks past every sequence's end (:func:`.tbptt.past_end`), as training
    and evaluation do: no valid step, no loss, no optimiser step. Prediction keeps them (its outputs cover
    every step)."""
    if not (task.stateful and tbptt_steps > 0):
        return [batch]
    chunks = task.split(batch, tbptt_steps)
    return [c for c in chunks if not past_end(c)] if skip_past_end else chunks


@check_args
def iter_outputs(
    model: nn.Module,
    task: Task,
    batch: Any,
    device: torch.device,
    precision: Precision,
    tbptt_steps: int,
    state: Any = None,
    skip_past_end: bool = False,
) -> Iterator[tuple[Any, Any, Any]]:
    """Yields ``(chunk, outputs, state)`` for one batch: the whole batch, or the TBPTT chunks of a
    stateful task with the state carried from chunk to chunk, starting from ``state`` (``skip_past_end``:
    see :func:`batch_chunks`). The batch's floating tensors get the model's :func:`floating_dtype`; for
    CUDA its CPU tensors are page-locked first, unless a loader pinned them (:func:`move_batch`)."""
    batch = move_batch(batch, device, floating_dtype(model))
    for chunk in batch_chunks(task, batch, tbptt_steps, skip_past_end):
        with autocast(device, precision):
            if task.stateful:
                outputs, state = task.forward(model, chunk, state)
            else:
                outputs = task.forward(model, chunk)
        yield chunk, outputs, state


@check_args
def evaluate_loop(
    model: nn.Module,
    task: Task,
    loader: Any,
    device: torch.device,
    precision: Precision = "fp32",
    tbptt_steps: int = 0,
    carry: bool = False,
) -> dict[str, float]:
    """Mean loss (weighted by batch size) and every metric of ``task`` over ``loader``.

    Loss sums are reduced across ranks; metric objects reduce themselves in ``compute()``. With
    ``carry`` a stateful task's state flows from one batch to the next (contiguous streams).

    Returns:
        ``{"loss": ..., <metric name>: ...}``.

    Raises:
        DataError: ``loader`` yielded no batch or only empty ones (on every rank).
        CarrouselError: under torchrun, on the other ranks when evaluation failed on one (a batch or the
            task raising there): every rank raises, the failing one its own error, the others this one
            naming that rank and its error (:func:`~.distributed.raise_any_failure`). Before, the failing
            rank raised alone while the others waited in the loss sums' all-reduce: a hang, or a gloo error.
    """
    metrics: dict[str, Metric] = task.metrics()
    loss_sum, count, failure = 0.0, 0.0, None
    try:
        with evaluating(model):
            state: Any = None
            for batch in loader:
                start = state if carry else None
                for chunk, outputs, new_state in iter_outputs(
                    model, task, batch, device, precision, tbptt_steps, start, skip_past_end=True
                ):
                    state = new_state
                    with autocast(device, precision):
                        loss = task.loss(outputs, chunk)
                    if isinstance(loss, torch.Tensor):  # a plain number is fine here: nothing back-propagates
                        check_loss(loss)
                    n = task.batch_size(chunk)
                    loss_sum += float(loss) * n
                    count += n
                    task.update_metrics(metrics, outputs, chunk)
    except Exception as exc:  # under torchrun the other ranks must hear of it: they wait in the reduce below
        if not dist_utils.joined().enabled:
            raise
        failure = exc
    loss_sum, count, failed = dist_utils.all_reduce_sum([loss_sum, count, float(failure is not None)], device)
    if failed:
        dist_utils.raise_any_failure(failure, "evaluation")
    if not count:  # a loss of NaN and metrics of nothing were returned as figures
        raise DataError(
            "the evaluation loader yielded no batches (or only empty ones); check the dataset, batch_size "
            "and drop_last"
        )
    out = {"loss": loss_sum / count}
    for name, m in metrics.items():  # each compute() a collective (the state's gather): every rank calls each
        try:
            out[name] = float(m.compute())
        except Exception as exc:  # on one rank only, after the gather: agreed below, as the batches' failure
            if not dist_utils.joined().enabled:
                raise
            failure = failure or exc
    if metrics and dist_utils.joined().enabled and dist_utils.any_flags([failure is not None], device)[0]:
        dist_utils.raise_any_failure(failure, "evaluation")
    return out


@check_args
def predict_loop(
    model: nn.Module,
    task: Task,
    loader: Any,
    device: torch.device,
    precision: Precision = "fp32",
    tbptt_steps: int = 0,
    carry: bool = False,
) -> list[Any]:
    """``task.forward`` outputs for every batch, detached and on the CPU (TBPTT chunks joined by
    :meth:`Task.join`; ``carry`` as in :func:`evaluate_loop`)."""
    results: list[Any] = []
    cpu = torch.device("cpu")
    with evaluating(model):
        state: Any = None
        for batch in loader:
            outs = []
            start = state if carry else None
            for _, outputs, new_state in iter_outputs(
                model, task, batch, device, precision, tbptt_steps, start
            ):
                state = new_state
                outs.append(move_to(outputs, cpu))
            results.append(task.join(outs) if len(outs) > 1 else outs[0])
    return results


@check_args
def predict(
    model: nn.Module,
    inputs: np.ndarray | torch.Tensor,
    batch_size: int = 512,
    *,
    forward: Callable[[nn.Module, torch.Tensor], torch.Tensor] | None = None,
    prepare: Callable[[np.ndarray | torch.Tensor], torch.Tensor] | None = None,
    precision: Precision | str = "fp32",
    out_dtype: Any = np.float64,
    empty_shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Runs ``model`` over ``inputs`` in batches and returns the outputs as one NumPy array.

    The one batched-inference loop of carrousel: gradients off, evaluation mode (restored afterwards),
    inputs moved to the model's device with ``non_blocking`` (page-locked first for CUDA, as the Trainer's
    batches are: a slice of an array is pageable memory, whose copy is synchronous) and, when floating, converted to the model's
    floating dtype (:func:`~carrousel.core.device.floating_dtype`: float32 for a float32 model, float64
    after ``model.double()``; integer inputs keep theirs), optional bf16/fp16 autocast (checked against
    the device by :func:`~carrousel.core.device.inference_dtype`; a batch whose reduced-precision outputs
    are not finite is rerun in float32), outputs gathered on the CPU. Domains pass a ``prepare`` (e.g. codes -> one-hot) and a ``forward`` (e.g. average of both
    strands) instead of writing their own loop.

    Args:
        model: the network; its parameters' device is used.
        inputs: ``(N, ...)`` array or tensor; batches are slices along the first axis.
        batch_size: rows per forward pass (at least 1).
        forward: ``forward(model, x) -> (B, ...)``; default ``model(x)``.
        prepare: turns a ``(B, ...)`` slice into the model's input tensor; default ``torch.as_tensor``
            (floating inputs then take the model's floating dtype, as ``prepare``'s tensors do).
        precision: ``"fp32"``, ``"bf16"`` or ``"fp16"`` autocast on the model's device (fp16: CUDA/MPS).
        out_dtype: dtype of the returned array.
        empty_shape: trailing output shape returned for ``N == 0`` (default ``()``).

    Returns:
        ``(N, ...)`` array of ``out_dtype``, converted from float32 outputs (float64 ones for a float64
        model, whose precision is kept).

    Raises:
        DataError: ``inputs`` is not an array, tensor or sequence (a DataLoader: see :meth:`Trainer.predict`),
            or rows of a batch differ in shape (sequences of several lengths: pad them first).
        ConfigError: a batch size below 1, a precision the device cannot run, or bf16/fp16 for a module
            without parameters (an ONNX Runtime network runs its own fp32/int8 file).
        ShapeError: the model (or ``forward``) returns something other than a tensor.
    """
    from carrousel.core.errors import ConfigError, DataError, ShapeError

    if not isinstance(inputs, np.ndarray | torch.Tensor | Sequence):  # a DataLoader, a generator...
        raise DataError(
            f"predict takes an (N, ...) array or tensor, got a {type(inputs).__name__}; for a loader of "
            "batches use Trainer(model, task, config).predict(loader)"
        )
    if batch_size < 1:
        raise ConfigError(f"batch size must be at least 1, got {batch_size}")
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
        check_exported_precision(precision, exported=True)  # a module without parameters: ONNX Runtime
    dtype = inference_dtype(precision, device)
    param_dtype = floating_dtype(model)
    gather = torch.float64 if param_dtype == torch.float64 else torch.float32  # numpy has no bf16
    run = forward or (lambda m, x: m(x))
    outs: list[np.ndarray] = []
    with evaluating(model):
        for i in range(0, len(inputs), batch_size):
            chunk = inputs[i : i + batch_size]
            x = prepare(chunk) if prepare is not None else _stack(chunk, i)
            x = move_batch(x, device, param_dtype)  # page-locked first for CUDA, as the Trainer's
            y = run_in_precision(functools.partial(run, model, x), device, dtype)
            if not isinstance(y, torch.Tensor):  # an EncoderOutput, an nn.LSTM's (output, (h, c))
                raise ShapeError(
                    f"the model returned a {type(y).__name__}, not a tensor; pass forward= to pick one, "
                    "e.g. forward=lambda m, x: m(x)[0]"
                )
            outs.append(y.detach().to(gather).cpu().numpy().astype(out_dtype, copy=False))
    if not outs:
        return np.zeros((0, *(empty_shape or ())), dtype=out_dtype)
    return np.concatenate(outs)


def _stack(chunk: Any, start: int) -> torch.Tensor:
    """``torch.as_tensor(chunk)``, with the fix named where the rows differ in shape (sequences of several
    lengths: torch's "expected sequence of length 6 at dim 1 (got 3)" before)."""
    try:
        return torch.as_tensor(chunk)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"predict cannot make one tensor of inputs[{start}:{start + len(chunk)}] ({exc}); pad sequences "
            "of different lengths first (carrousel.core.data.pad_sequences) or pass prepare= to build a batch"
        ) from None

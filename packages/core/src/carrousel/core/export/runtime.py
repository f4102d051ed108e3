"""ONNX Runtime behind the exported files: a CPU session, a run on positional inputs, and
:class:`OnnxModule`, an exported network behind ``nn.Module``'s call (extra ``[export]``; imported at the
point of use). Export itself is :mod:`carrousel.core.export.onnx`."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.errors import DataError, ExportError, ShapeError
from carrousel.core.nn.input_shape import input_shape_message
from carrousel.core.nn.lengths import check_lengths
from carrousel.core.optional import require

__all__ = ["EXTRA", "OnnxModule", "onnx_session", "run_onnx"]

EXTRA = "carrousel-core[export]"  # the pip extra providing onnx, onnxruntime and onnxscript


@check_args
def onnx_session(blob: bytes | str | Path, threads: int = 0) -> Any:
    """An ONNX Runtime CPU session over a file's bytes or path (``threads`` 0: ONNX Runtime's default).

    Raises:
        ExportError: the bytes are not a model ONNX Runtime can load.
    """
    ort = require("onnxruntime", EXTRA, "running an ONNX model")
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    source = blob if isinstance(blob, bytes) else str(blob)
    try:
        return ort.InferenceSession(source, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ExportError(
            f"ONNX Runtime cannot load the model ({str(exc).splitlines()[0]}); export it again"
        ) from None


def run_onnx(session: Any, inputs: Sequence[Tensor | np.ndarray]) -> list[np.ndarray]:
    """Runs ``session`` on positional inputs (in the session's input order); returns every output.

    Raises:
        ShapeError: another number of inputs than the model takes, an empty input (a batch of no rows or
            steps) to a graph with a recurrent node, on which ONNX Runtime aborts the process, or inputs ONNX
            Runtime refuses (a shape or dtype the exported graph does not accept), in one line; a negative
            integer in any input (:func:`check_ids`).
    """
    specs = session.get_inputs()
    if len(inputs) != len(specs):
        names = ", ".join(spec.name for spec in specs)
        raise ShapeError(f"this ONNX model takes {len(specs)} inputs ({names}), got {len(inputs)}")
    check_not_empty(session, inputs, "skip empty batches (no rows, no steps) before calling it")
    check_ids(session, inputs)  # here, not in OnnxModule.run only: verify_onnx and callers of run_onnx too
    feed = {}
    for spec, v in zip(specs, inputs, strict=True):
        arr = np.ascontiguousarray(_as_numpy(v))
        want = _INTEGER_INPUTS.get(spec.type)  # int32 lengths or a list where the graph takes int64
        feed[spec.name] = arr.astype(want) if want is not None and arr.dtype.kind in "iu" else arr
    try:
        return list(session.run(None, feed))
    except Exception as exc:
        if type(exc).__name__ not in ("InvalidArgument", "InvalidGraph"):  # ONNX Runtime's input errors
            raise
        detail = " ".join(str(exc).split())
        raise ShapeError(f"ONNX Runtime refused the inputs: {detail}") from None


_INTEGER_INPUTS = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


class OnnxModule(nn.Module):
    """An ONNX model run by ONNX Runtime behind ``nn.Module``'s call: ``module(*tensors)`` returns the
    first output as a CPU tensor (or every output with ``all_outputs``). It has no parameters, so
    :func:`carrousel.core.train.predict` runs it on the CPU.

    Args:
        blob: the ONNX file's bytes.
        threads: intra-op threads (0: ONNX Runtime's default).
        config: the network's config, when callers read ``module.config``.
    """

    @check_args
    def __init__(self, blob: bytes, threads: int = 0, config: Any = None) -> None:
        super().__init__()
        self.session = onnx_session(blob, threads)
        self.config = config
        self.input_names = [i.name for i in self.session.get_inputs()]

    @property
    def recurrent_op(self) -> str | None:
        """The graph's first recurrent node type (e.g. ``"LSTM"``: ONNX Runtime aborts on its empty inputs),
        or None; read from the graph on first use (:func:`recurrent_op`), not at construction."""
        return recurrent_op(self.session)

    def run(self, *inputs: Tensor | np.ndarray) -> list[np.ndarray]:
        """Every output as NumPy arrays.

        Raises:
            ShapeError: an input with another number of axes than the graph's (named with the graph's
                axes); an input named ``lengths`` that the eager encoder would refuse (not ``(B,)``
                integers in ``[1, T]``, ``B`` and ``T`` the first two axes of the first input with two or
                more), with the eager message: the graph would return numbers for them instead; and those of
                :func:`run_onnx` (an empty input to a recurrent graph, a negative integer in any input); a
                missing ``lengths`` input, with the fix ``torch.full((B,), T)`` (``np.full`` for arrays). A
                batch of no rows (``B`` 0, ``T`` >= 1) returns empty outputs, as the eager network does; ONNX
                Runtime is not called. Shape messages spell their fixes for NumPy where the input is an array.
            DataError: a NaN or infinite value in a floating input at a valid step (before each length, or
                anywhere without lengths): ONNX Runtime's sigmoid and tanh clamp it into finite outputs
                where the eager network returns NaN. NaN in the padding runs, as eager ignores it.
            ShapeError: a floating input of another dtype than the graph's (float64 for a float32 graph),
                as the eager network refuses an input that does not match its parameters' dtype.
        """
        seqs = any(np.ndim(v) >= 2 for v in inputs)  # lengths beside (B, T, ...): _check_lengths tells them
        for spec, value in zip(self.session.get_inputs(), inputs, strict=False):
            if spec.name == "lengths" and seqs:
                continue
            if isinstance(spec.shape, list) and len(spec.shape) != np.ndim(value):  # before the lengths
                raise ShapeError(_axes_message(spec, value))
        _check_lengths_given(self.input_names, inputs)
        lengths = None
        if "lengths" in self.input_names and len(inputs) == len(self.input_names):
            at = self.input_names.index("lengths")  # checked as eager checks them; whole floats read as int64
            inputs = (*inputs[:at], _check_lengths(inputs, at), *inputs[at + 1 :])
            lengths = None if inputs[at] is None else np.asarray(torch.as_tensor(inputs[at]).cpu())
        for spec, value in zip(self.session.get_inputs(), inputs, strict=False):
            if spec.name != "lengths":
                _check_dtype(spec, value)
                _check_finite(spec.name, value, lengths)
        return _empty_batch_outputs(self.session, inputs) or run_onnx(self.session, inputs)

    def forward(self, *inputs: Tensor) -> Tensor:
        """The first output, ``float32`` on the CPU; the inputs as the eager network takes them (a float64
        ``x`` is refused as eager refuses it, see :meth:`run`; before, it was cast to float32 silently)."""
        return torch.from_numpy(self.run(*(torch.as_tensor(x) for x in inputs))[0])


_RECURRENT_OPS = ("LSTM", "GRU", "RNN", "DynamicQuantizeLSTM")
_FLOAT_INPUTS = {
    "tensor(float)": torch.float32,
    "tensor(double)": torch.float64,
    "tensor(float16)": torch.float16,
    "tensor(bfloat16)": torch.bfloat16,
}
_NUMPY_FLOATS = {
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
}


def _check_dtype(spec: Any, value: Tensor | np.ndarray) -> None:
    """Refuses a floating ``value`` of another dtype than the graph input ``spec``'s, as the eager encoder
    refuses one that does not match its parameters (a float64 ``x`` ran as float32 here and failed there;
    under CPU autocast eager fails on it too)."""
    want = _FLOAT_INPUTS.get(spec.type)
    dtype: torch.dtype | np.dtype[Any]
    if isinstance(value, Tensor):
        dtype, floating = value.dtype, value.is_floating_point()
    else:  # a NumPy float64 reads as torch.float64 (one message for both)
        np_dtype = np.asarray(value).dtype
        dtype, floating = _NUMPY_FLOATS.get(np_dtype) or np_dtype, np_dtype.kind == "f"
    if want is None or not floating or dtype == want:  # integers (ids, lengths): not this check's
        return
    raise ShapeError(
        f"input {spec.name} dtype {dtype} does not match the exported network's {want}, as the eager "
        f"network refuses it; convert the input (x.to({want}))"
    )


_SESSION_OPS: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()


def check_not_empty(session: Any, inputs: Sequence[Tensor | np.ndarray], fix: str) -> None:
    """Refuses an empty input (a 0 in its shape) to a session whose graph has a recurrent node: ONNX
    Runtime's LSTM/GRU kernels kill the whole process on it (SIGSEGV with lengths, abort without).

    Args:
        session: an ONNX Runtime session (:func:`onnx_session`).
        inputs: its positional inputs.
        fix: the message's end, what the caller does instead.

    Raises:
        ShapeError: the first empty input, named, when the graph has a recurrent node.
    """
    names = [spec.name for spec in session.get_inputs()]
    empty = [(n, tuple(np.shape(v))) for n, v in zip(names, inputs, strict=False) if 0 in np.shape(v)]
    op = recurrent_op(session) if empty else None  # the graph is read only for an empty input
    if op:
        name, shape = empty[0]
        raise ShapeError(
            f"input {name} has shape {shape}, and ONNX Runtime aborts the process on an empty input to "
            f"this model's {op} node; {fix}"
        )


def check_ids(session: Any, inputs: Sequence[Tensor | np.ndarray]) -> None:
    """Refuses a negative integer in any input: an exported embedding's ``Gather`` reads id -3 as the
    third-last row (a silent wrong embedding) where the eager network refuses it.

    Raises:
        ShapeError: the first such input, named, with its smallest value and the fix.
    """
    for spec, value in zip(session.get_inputs(), inputs, strict=False):
        arr = _as_numpy(value)
        if arr.dtype.kind == "i" and arr.size and int(arr.min()) < 0:
            raise ShapeError(
                f"input {spec.name} holds negative integers (min {int(arr.min())}): an exported embedding "
                "reads id -k as the k-th from the end, where the eager network refuses it; map them to "
                "valid ids (0 = padding)"
            )


def recurrent_op(session: Any) -> str | None:
    """The first recurrent node type (e.g. ``"LSTM"``) of a session's ONNX graph, its subgraphs included,
    or None (none, or a session whose model carrousel cannot read); read once per session."""
    try:
        return _SESSION_OPS[session]
    except (KeyError, TypeError):
        pass
    source = getattr(session, "_model_bytes", None) or getattr(session, "_model_path", None)
    require("onnx", EXTRA, "running an ONNX model")
    try:
        blob = source if isinstance(source, bytes) else Path(source).read_bytes() if source else None
        op = _recurrent_op(blob) if blob else None
    except Exception:  # an ORT-format file, or a model onnx cannot parse: nothing known
        op = None
    with contextlib.suppress(TypeError):  # a session type without weak references
        _SESSION_OPS[session] = op
    return op


def _recurrent_op(blob: bytes) -> str | None:
    """The first recurrent node type of an ONNX file's graph (its subgraphs included), or None."""
    onnx = require("onnx", EXTRA, "running an ONNX model")
    graphs = [onnx.load_model_from_string(blob).graph]
    while graphs:
        for node in graphs.pop().node:
            if node.op_type in _RECURRENT_OPS:
                return str(node.op_type)
            graphs += [a.g for a in node.attribute if a.HasField("g")] + [
                g for a in node.attribute for g in a.graphs
            ]
    return None


def _check_lengths(inputs: Sequence[Tensor | np.ndarray], at: int) -> Tensor | np.ndarray:
    """:func:`~carrousel.core.nn.lengths.check_lengths` of ``inputs[at]`` against the first input with
    two or more axes, ``(B, T, ...)``: the lengths as ``int64`` (``inputs[at]`` itself when there is none).
    Its fixes are spelled for NumPy where that input is an array (``np.full``, not ``torch.full``)."""
    seqs = [v for i, v in enumerate(inputs) if i != at and np.ndim(v) >= 2]
    if not seqs:
        return inputs[at]
    B, T = (int(n) for n in tuple(seqs[0].shape)[:2])
    return check_lengths(inputs[at], B, T, numpy=isinstance(seqs[0], np.ndarray))


def _check_finite(name: str, value: Tensor | np.ndarray, lengths: np.ndarray | None) -> None:
    """Refuses a NaN or infinite value of a floating input ``(B, T, ...)`` before each of ``lengths``
    (every value without lengths, or where the input's first axes are not ``(B, T)``)."""
    arr = _as_numpy(value)
    if arr.dtype.kind not in "fc" or not arr.size:
        return
    bad = ~np.isfinite(arr)
    if arr.ndim >= 2 and lengths is not None and lengths.shape == (arr.shape[0],):
        valid = np.arange(arr.shape[1])[None, :] < lengths[:, None]  # (B, T)
        bad &= valid.reshape(valid.shape + (1,) * (arr.ndim - 2))
    count = int(bad.sum())
    if not count:
        return
    first = np.argwhere(bad)[0]
    where = f"row {first[0]}, step {first[1]}" if arr.ndim >= 2 else f"index {tuple(int(i) for i in first)}"
    raise DataError(
        f"input {name} holds {count} NaN or infinite value{'s' if count > 1 else ''} at valid steps (first: "
        f"{where}); ONNX Runtime would turn them into finite outputs where the eager network gives NaN: "
        f"replace them ({'np' if isinstance(value, np.ndarray) else 'torch'}.nan_to_num) or drop those rows"
    )


def _axes_message(spec: Any, value: Tensor | np.ndarray) -> str:
    """An input of another number of axes than the graph's: a ``(batch, time, features)`` input in the
    eager encoder's words (:func:`input_shape_message`, naming the likely fix, spelled for NumPy where
    ``value`` is an array: ``x[None]``, not ``x.unsqueeze(0)``), others with the graph's axes."""
    shape, numpy = tuple(np.shape(value)), isinstance(value, np.ndarray)
    if len(spec.shape) == 3 and isinstance(spec.shape[-1], int):
        said = input_shape_message(shape, spec.shape[-1], numpy=numpy)
        return said.replace("input", f"input {spec.name}", 1)
    want = ", ".join(str(d) for d in spec.shape)
    return f"input {spec.name} must be ({want}), {len(spec.shape)} axes, got shape {shape}"


def _check_lengths_given(names: list[str], inputs: Sequence[Tensor | np.ndarray]) -> None:
    """Refuses inputs that leave out only the graph's ``lengths``, naming its all-full value."""
    if "lengths" not in names or len(inputs) != len(names) - 1 or not inputs or np.ndim(inputs[0]) < 2:
        return
    B, T = tuple(np.shape(inputs[0]))[:2]
    full = "np.full" if isinstance(inputs[0], np.ndarray) else "torch.full"
    raise ShapeError(
        f"this ONNX model takes {len(names)} inputs ({', '.join(names)}), got {len(inputs)}: the lengths are "
        f"missing; pass each row's length, {full}(({B},), {T}) when no row is padded"
    )


def _empty_batch_outputs(session: Any, inputs: Sequence[Tensor | np.ndarray]) -> list[np.ndarray] | None:
    """The outputs of a batch of no rows (every input's first axis 0, no other axis 0), as the eager
    network returns them: those of one row of zeros (full lengths), cut to no rows. None for any other
    input, or when an output's first axis is not the batch's (ONNX Runtime then aborts: :func:`run_onnx`)."""
    shapes = [tuple(np.shape(v)) for v in inputs]
    if not shapes or any(not s or s[0] != 0 or 0 in s[1:] for s in shapes):
        return None
    T = next((s[1] for s in shapes if len(s) >= 2), 1)
    names = [spec.name for spec in session.get_inputs()]
    row = [
        np.full((1,), T, np.int64) if n == "lengths" else np.zeros((1, *s[1:]), _as_numpy(v).dtype)
        for n, s, v in zip(names, shapes, inputs, strict=False)
    ]
    outs = run_onnx(session, row)
    return [o[:0] for o in outs] if all(o.ndim and o.shape[0] == 1 for o in outs) else None


def _as_numpy(value: Tensor | np.ndarray) -> np.ndarray:
    """An input as NumPy holds it (a tensor copied to the CPU, a list or array as ``np.asarray`` reads it)."""
    return value.detach().cpu().numpy() if isinstance(value, Tensor) else np.asarray(value)

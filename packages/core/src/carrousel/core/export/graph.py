"""A graph form of the recurrent encoder that ONNX and ``torch.export`` can express.

:class:`~carrousel.core.nn.recurrent.RecurrentEncoder` handles lengths with ``pack_padded_sequence`` (or,
on newer branches, a padded fast path); neither form is needed here. :class:`GraphEncoder` computes the
same function with tensor operations every exporter knows:

* without lengths it runs the encoder's own fused modules (one ONNX ``LSTM``/``GRU``/``RNN`` node per
  module, bidirectional in one node);
* with lengths, per layer, the forward direction runs over the padded batch (its outputs at valid steps do
  not depend on the padding that follows them), the reverse direction runs over each sequence reversed
  *within its length* (a gather by ``t -> len - 1 - t`` on valid steps, identity on padding, so padding
  again comes last) and is gathered back; outputs past each length are zeroed and the last state is
  gathered at ``len - 1``. It is exact to the packed result on valid steps (tested against it).

:func:`exportable` returns a copy of a model with every encoder replaced, after checking that the model
can be expressed at all; :func:`check_exportable` raises :class:`~carrousel.core.errors.ExportError` naming
the obstacle (a Python step-loop cell, zoneout, recurrent dropout) otherwise.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.errors import ExportError
from carrousel.core.nn.cells import LoopLayer
from carrousel.core.nn.recurrent import EncoderOutput, RecurrentConfig, RecurrentEncoder, State

__all__ = [
    "GraphEncoder",
    "PositionalGraph",
    "check_exportable",
    "check_torchscript_only",
    "export_program",
    "exportable",
    "fresh_rnn_dispatch",
    "why_not_exportable",
]


def why_not_exportable(cfg: RecurrentConfig) -> str | None:
    """Why an encoder configuration cannot be exported, or None when it can."""
    if cfg.backend != "auto":
        return f"backend={cfg.backend!r} runs a Python step loop"
    if cfg.zoneout:
        return "zoneout forces the Python step loop"
    if cfg.recurrent_dropout:
        return "recurrent dropout forces the Python step loop"
    if not cfg.uses_fused_kernel:
        return f"the {cfg.cell!r} cell runs a Python step loop (only lstm, gru and rnn have fused kernels)"
    return None


def check_exportable(model: nn.Module) -> None:
    """Raises :class:`ExportError` when ``model`` holds a part no exporter can express for every length.

    A Python step loop would be unrolled at the example's length and give wrong results at any other.

    Raises:
        ExportError: naming the first offending module and the reason.
    """
    for name, module in model.named_modules():
        where = name or type(model).__name__
        if isinstance(module, RecurrentEncoder):
            why = why_not_exportable(module.config)
            if why is not None:
                raise ExportError(
                    f"cannot export {where}: {why}, which an exported graph would unroll at the example's "
                    "length; use cell lstm/gru/rnn without zoneout or recurrent dropout to export"
                )
        elif isinstance(module, LoopLayer):
            raise ExportError(
                f"cannot export {where}: a step-loop recurrent layer would be unrolled at the example's "
                "length; use a fused cell (lstm, gru, rnn) to export"
            )


def check_torchscript_only(model: nn.Module, exporter: str) -> None:
    """Raises :class:`ExportError` when ``exporter`` (not ``torchscript``) meets a ``cell_state`` encoder.

    Raises:
        ExportError: naming the module and the exporter that can.
    """
    for name, module in model.named_modules():
        packed = module.cell_state or module.sequence_lens if isinstance(module, GraphEncoder) else False
        if packed and exporter != "torchscript":
            raise ExportError(
                f"cannot export {name or type(model).__name__} with {exporter}: the LSTM cell state at each "
                "length exports only with the torchscript ONNX exporter (the LSTM node's sequence_lens); "
                "use exporter torchscript"
            )


def _direction(src: nn.RNNBase, layer: int, reverse: bool) -> nn.RNNBase:
    """A one-layer, one-direction copy of ``src``'s ``layer`` / direction (weights shared, not copied)."""
    kind = type(src)
    proj = getattr(src, "proj_size", 0) or 0
    out = proj or src.hidden_size
    directions = 2 if src.bidirectional else 1
    size = src.input_size if layer == 0 else out * directions
    kwargs: dict[str, object] = {"batch_first": True, "bias": src.bias}
    if isinstance(src, nn.LSTM):
        kwargs["proj_size"] = proj
    if kind is nn.RNN:
        kwargs["nonlinearity"] = src.nonlinearity
    one = kind(size, src.hidden_size, 1, **kwargs)  # type: ignore[arg-type]
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    for name in list(one._parameters):
        one._parameters[name] = getattr(src, name.replace("_l0", suffix))
    one._flat_weights = [getattr(one, n) for n in one._flat_weights_names]  # type: ignore[misc]
    return one


class GraphEncoder(nn.Module):
    """A :class:`RecurrentEncoder`'s function (evaluation mode) as plain tensor operations.

    Args:
        encoder: a fused-kernel encoder (see :func:`check_exportable`); its weights are shared, not copied.

        cell_state: also return an LSTM's cell state at each sequence's own length (``state.c``), for a
            decoder that starts from it. With lengths this runs the fused modules on packed sequences,
            which only the TorchScript ONNX exporter expresses (as the ONNX ``LSTM`` node's
            ``sequence_lens``); the dynamo exporter and ``torch.export`` raise :class:`ExportError`.
        sequence_lens: run batches with lengths that way even without the cell state (one fused node per
            layer instead of the per-direction gathers; :func:`exportable` sets it for the TorchScript
            exporter).

    Its ``forward`` takes the encoder's arguments and returns an :class:`EncoderOutput` whose ``output``
    and ``last`` match the encoder's; ``state.h`` holds each layer's final hidden state. ``state.c`` is
    None unless ``cell_state``: the cell state at each sequence's own length is not an output of the
    padded fused node. Lengths are clamped to ``[1, T]`` (an exported graph cannot raise).
    """

    @check_args
    def __init__(
        self, encoder: RecurrentEncoder, cell_state: bool = False, sequence_lens: bool = False
    ) -> None:
        super().__init__()
        why = why_not_exportable(encoder.config)
        if why is not None:
            raise ExportError(f"cannot export this encoder: {why}; use cell lstm/gru/rnn to export")
        self.config = encoder.config
        self.cell_state = cell_state and encoder.config.cell == "lstm"
        self.sequence_lens = sequence_lens
        self.fused: nn.ModuleList = nn.ModuleList(
            [encoder.rnn] if encoder.rnn is not None else encoder.layers
        )
        self.directions = nn.ModuleList()  # (forward, reverse) one-layer modules per layer
        for module in self.fused:
            assert isinstance(module, nn.RNNBase)
            for layer in range(module.num_layers):
                pair = [_direction(module, layer, False)]
                if module.bidirectional:
                    pair.append(_direction(module, layer, True))
                self.directions.append(nn.ModuleList(pair))

    @property
    def output_size(self) -> int:
        """Per-step output features ``D*H_out``."""
        return self.config.output_size

    def forward(
        self,
        x: Tensor,
        lengths: Tensor | None = None,
        mask: Tensor | None = None,
        state: State | None = None,
    ) -> EncoderOutput:
        """Encodes ``(B, T, I)`` with optional ``(B,)`` lengths or ``(B, T)`` mask (see the class)."""
        if state is not None:
            raise ExportError("an exported encoder starts from zero state; leave out state to export")
        if mask is not None:
            lengths = mask.to(torch.long).sum(dim=1)
        if lengths is None:
            return self._dense(x)
        if self.cell_state or self.sequence_lens:
            return self._packed(x, lengths)
        return self._masked(x, lengths)

    def _dense(self, x: Tensor) -> EncoderOutput:
        cfg = self.config
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        inp = x
        for i, module in enumerate(self.fused):
            out, hn = module(inp)
            h = hn[0] if isinstance(hn, tuple) else hn
            if cfg.residual and i > 0 and out.shape[-1] == inp.shape[-1]:
                out = out + inp
            hs.append(h)
            cs.append(hn[1] if isinstance(hn, tuple) else h)
            inp = out
        B = x.shape[0]
        D, Hout = cfg.directions, cfg.proj_size or cfg.hidden_size
        if cfg.residual and cfg.num_layers > 1:
            last = inp[:, -1] if D == 1 else torch.cat([inp[:, -1, :Hout], inp[:, 0, Hout:]], dim=1)
        else:
            last = hs[-1][-D:].permute(1, 0, 2).reshape(B, D * Hout)
        return EncoderOutput(inp, last, State(torch.cat(hs), torch.cat(cs) if self.cell_state else None))

    def _packed(self, x: Tensor, lengths: Tensor) -> EncoderOutput:
        """Packed sequences through the fused modules: states at each length, cell state included."""
        cfg = self.config
        T = x.shape[1]
        lengths = lengths.to(dtype=torch.long).clamp(1, T).cpu()
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        inp = x
        for i, module in enumerate(self.fused):
            packed = nn.utils.rnn.pack_padded_sequence(inp, lengths, batch_first=True, enforce_sorted=False)
            out_packed, hn = module(packed)
            h, c = hn if isinstance(hn, tuple) else (hn, hn)
            out, _ = nn.utils.rnn.pad_packed_sequence(out_packed, batch_first=True, total_length=T)
            if cfg.residual and i > 0 and out.shape[-1] == inp.shape[-1]:
                out = out + inp
            hs.append(h)
            cs.append(c)
            inp = out
        return EncoderOutput(
            inp,
            self._last(inp, hs, lengths.to(x.device)),
            State(torch.cat(hs), torch.cat(cs) if self.cell_state else None),
        )

    def _last(self, out: Tensor, hs: list[Tensor], lengths: Tensor) -> Tensor:
        """``(B, D*H_out)``: the forward direction at each length, the reverse one at step 0."""
        cfg = self.config
        D, Hout = cfg.directions, cfg.proj_size or cfg.hidden_size
        if cfg.residual and cfg.num_layers > 1:
            fwd_last = out.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.shape[-1])).squeeze(1)
            return fwd_last if D == 1 else torch.cat([fwd_last[:, :Hout], out[:, 0, Hout:]], dim=1)
        return hs[-1][-D:].permute(1, 0, 2).reshape(out.shape[0], D * Hout)

    def _masked(self, x: Tensor, lengths: Tensor) -> EncoderOutput:
        cfg = self.config
        T = x.shape[1]
        lengths = lengths.to(device=x.device, dtype=torch.long).clamp(1, T)
        steps = torch.arange(T, device=x.device).unsqueeze(0)  # (1, T)
        valid = steps < lengths.unsqueeze(1)  # (B, T)
        rev = torch.where(valid, lengths.unsqueeze(1) - 1 - steps, steps)  # an involution per row
        last_t = (lengths - 1).view(-1, 1, 1)
        keep = valid.unsqueeze(-1).to(x.dtype)
        hs: list[Tensor] = []
        inp = x
        for i, item in enumerate(self.directions):
            pair = list(item.children())
            fwd, _ = pair[0](inp)
            hs.append(fwd.gather(1, last_t.expand(-1, 1, fwd.shape[-1])).transpose(0, 1))
            outs = [fwd]
            if len(pair) == 2:
                idx = rev.unsqueeze(-1)
                bwd, _ = pair[1](inp.gather(1, idx.expand(-1, -1, inp.shape[-1])))
                bwd = bwd.gather(1, idx.expand(-1, -1, bwd.shape[-1]))
                hs.append(bwd[:, :1].transpose(0, 1))
                outs.append(bwd)
            out = (torch.cat(outs, dim=-1) if len(outs) == 2 else outs[0]) * keep
            if cfg.residual and i > 0 and out.shape[-1] == inp.shape[-1]:
                out = out + inp
            inp = out
        D, Hout = cfg.directions, cfg.proj_size or cfg.hidden_size
        fwd_last = inp.gather(1, last_t.expand(-1, 1, inp.shape[-1])).squeeze(1)
        last = fwd_last if D == 1 else torch.cat([fwd_last[:, :Hout], inp[:, 0, Hout:]], dim=1)
        return EncoderOutput(inp, last, State(torch.cat(hs), None))


@check_args
def exportable(model: nn.Module, sequence_lens: bool = False) -> nn.Module:
    """A copy of ``model`` in evaluation mode with every :class:`RecurrentEncoder` as a :class:`GraphEncoder`.

    The original is left untouched. Works whichever way the encoder handles lengths internally.
    ``sequence_lens``: batches with lengths run the fused modules on packed sequences, which the TorchScript
    ONNX exporter writes as one (bidirectional) ``LSTM``/``GRU`` node with ``sequence_lens`` per layer,
    instead of the per-direction gathers of the padded form (1.3-1.5x faster at batch 64 in ONNX Runtime
    for the sentiment BiLSTM; only that exporter can express it).

    Raises:
        ExportError: when the model holds a part that cannot be exported (:func:`check_exportable`).
    """
    check_exportable(model)
    copied = copy.deepcopy(model).eval()
    targets = [(n, m) for n, m in copied.named_modules() if isinstance(m, RecurrentEncoder)]
    for name, enc in targets:
        graph = GraphEncoder(enc, sequence_lens=sequence_lens).eval()
        if not name:
            return graph
        parent_name, _, attr = name.rpartition(".")
        parent = copied.get_submodule(parent_name) if parent_name else copied
        setattr(parent, attr, graph)
    return copied


def export_program(
    model: nn.Module,
    example: tuple[Tensor, ...],
    dynamic: dict[int, dict[int, str]] | None = None,
) -> torch.export.ExportedProgram:
    """``torch.export`` of ``model``'s :func:`exportable` copy, with named dynamic axes.

    Args:
        model: the network (not changed).
        example: positional example inputs.
        dynamic: per input position, its dynamic axes and their names (the same name is the same size),
            e.g. ``{0: {0: "batch", 1: "time"}, 1: {0: "batch"}}``.

    Raises:
        ExportError: the model holds a part that cannot be exported, or ``torch.export`` fails.
    """
    graph = PositionalGraph(exportable(model))
    check_torchscript_only(graph, "torch.export")
    dims: dict[str, Any] = {}
    shapes = tuple(
        {ax: dims.setdefault(d, torch.export.Dim(d)) for ax, d in (dynamic or {}).get(i, {}).items()} or None
        for i in range(len(example))
    )
    try:
        with _while_loop_rnns(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's tracing noise, hidden as export_onnx hides it
            return torch.export.export(graph, tuple(example), dynamic_shapes=(shapes,))
    except Exception as exc:  # torch.export raises many types; keep the first line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Constraints violated" in first:
            first += (
                " (an axis was fixed to the example's size: rnn_tanh/rnn_relu layers unroll per step under "
                "torch.export; lstm and gru run as a while loop)"
            )
        raise ExportError(f"torch.export cannot export {type(model).__name__}: {first}") from None


@contextlib.contextmanager
def _while_loop_rnns() -> Iterator[None]:
    """LSTM and GRU decomposed as a while loop (dynamic time) instead of a per-step Python loop, as
    ``torch.onnx``'s dynamo exporter does (``torch.export._patches``, torch >= 2.10); a no-op without it."""
    try:
        from torch.export._patches import (
            register_gru_while_loop_decomposition,
            register_lstm_while_loop_decomposition,
        )
    except ImportError:  # pragma: no cover - older torch
        yield
        return
    with (
        register_lstm_while_loop_decomposition(),
        register_gru_while_loop_decomposition(),
        fresh_rnn_dispatch(),  # inside the patch: a kernel cached before it would win
    ):
        yield


@contextlib.contextmanager
def fresh_rnn_dispatch() -> Iterator[None]:
    """``aten.lstm`` / ``aten.gru`` dispatched afresh inside (their Python dispatch caches emptied on entry
    and exit): each export in a process then traces as the first one does.

    ``torch.export._patches`` (which ``torch.onnx``'s dynamo exporter enters for dynamic shapes) swaps the
    ops' ``py_kernels`` entry without emptying ``OpOverload._dispatch_cache``, so a kernel cached by an
    earlier trace wins over the patch: the dynamo exporter's own type-promotion pass, after its patch is
    undone, caches the per-step decomposition, and the next export of an LSTM/GRU in the process unrolled
    the time axis at the example's length (the file then failed the check at other sizes).
    """
    ops = (torch.ops.aten.lstm.input, torch.ops.aten.gru.input)

    def clear() -> None:
        for op in ops:
            cache = getattr(op, "_dispatch_cache", None)
            if isinstance(cache, dict):
                cache.clear()

    clear()
    try:
        yield
    finally:
        clear()


class PositionalGraph(nn.Module):
    """Calls ``model(*inputs)`` (the exported signature is exactly the named inputs, in order); the one
    wrapper of both ONNX exporters and :func:`export_program`."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, *inputs: Tensor) -> Any:
        return self.model(*inputs)

"""One recurrent encoder over RNN, LSTM and GRU cells, length-aware, stacked and bidirectional.

Shapes use ``B`` batch, ``T`` time, ``I`` input features, ``H`` hidden units, ``H_out`` output units per
direction (``proj_size`` for a projected LSTM, else ``H``), ``D`` directions (2 when bidirectional),
``L`` layers.

Standard configurations run on PyTorch's fused kernels (cuDNN on GPU, ATen/oneDNN on CPU): a single
multi-layer ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` when nothing needs per-layer handling, one fused module
per layer when residual connections are asked for. Custom cells, zoneout and recurrent dropout run the
Python step loop of :mod:`carrousel.core.nn.cells`. Unequal lengths keep the fused kernels on a padded
batch (:mod:`carrousel.core.nn.varlen`, exact to packing) unless ``varlen`` or the device says to pack.
:func:`carrousel.core.nn.backend.explain_backend` says which path a configuration takes and why.

The config, state and output types live in :mod:`carrousel.core.nn.recurrent_types`, the lengths rule in
:mod:`carrousel.core.nn.lengths`; both are re-exported here, where they were defined before.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from carrousel.core.args import check_args
from carrousel.core.config import check_config
from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.io import register_module
from carrousel.core.nn.autocast_dtypes import autocast_covers, cpu_fp16_autocast_lstm_fails
from carrousel.core.nn.cells import LoopLayer
from carrousel.core.nn.gru_native import choose_gru_kernel
from carrousel.core.nn.init import init_recurrent_
from carrousel.core.nn.input_shape import input_shape_message, mask_shape_message, state_shape_message
from carrousel.core.nn.lengths import check_lengths, lengths_from_mask
from carrousel.core.nn.recurrent_types import FUSED_CELLS, EncoderOutput, RecurrentConfig, State
from carrousel.core.nn.varlen import choose_varlen, run_padded

__all__ = [
    "FUSED_CELLS",
    "EncoderOutput",
    "RecurrentConfig",
    "RecurrentEncoder",
    "State",
    "check_lengths",
    "lengths_from_mask",
]

logger = logging.getLogger(__name__)
_WARNED: list[bool] = []  # the float16 workaround below is logged once per process


def _scatter_rows(before: Tensor, rows: Tensor, after: Tensor) -> Tensor:
    """``before`` ``(L*D, B, H)`` with batch ``rows`` replaced by ``after``, in the wider of the two dtypes."""
    dtype = torch.promote_types(before.dtype, after.dtype)
    return before.to(dtype).index_copy(1, rows, after.to(dtype))


def _fused(cfg: RecurrentConfig, input_size: int, layers: int) -> nn.RNNBase:
    common = dict(
        input_size=input_size,
        hidden_size=cfg.hidden_size,
        num_layers=layers,
        bidirectional=cfg.bidirectional,
        batch_first=True,
        dropout=cfg.dropout if layers > 1 else 0.0,
    )
    if cfg.cell == "lstm":
        return nn.LSTM(proj_size=cfg.proj_size, **common)  # type: ignore[arg-type]
    if cfg.cell == "gru":
        return nn.GRU(**common)  # type: ignore[arg-type]
    return nn.RNN(nonlinearity=cfg.cell.removeprefix("rnn_"), **common)  # type: ignore[arg-type]


def _cudnn_cannot_backprop(rnn: nn.RNNBase, x: Tensor) -> bool:
    """Whether cuDNN would run a forward whose backward it refuses (eval mode with autograd recording)."""
    if not (x.is_cuda and torch.backends.cudnn.enabled and not rnn.training and torch.is_grad_enabled()):
        return False
    return x.requires_grad or any(p.requires_grad for p in rnn.parameters())


@register_module("recurrent_encoder")
class RecurrentEncoder(nn.Module):
    """Stacked, optionally bidirectional recurrent encoder over a padded batch with lengths.

    Args:
        config: a :class:`RecurrentConfig`.

    Example:
        >>> enc = RecurrentEncoder(RecurrentConfig(input_size=8, hidden_size=16, bidirectional=True))
        >>> out = enc(torch.randn(4, 10, 8), lengths=torch.tensor([10, 7, 3, 1]))
        >>> out.output.shape, out.last.shape
        (torch.Size([4, 10, 32]), torch.Size([4, 32]))
    """

    config_class = RecurrentConfig

    def __init__(self, config: RecurrentConfig) -> None:
        check_config(config, RecurrentConfig, "RecurrentEncoder")
        super().__init__()
        self.config = config
        cfg = config
        self.rnn: nn.RNNBase | None = None
        self.layers = nn.ModuleList()
        if cfg.uses_fused_kernel and not cfg.residual:
            self.rnn = _fused(cfg, cfg.input_size, cfg.num_layers)
        else:
            for layer in range(cfg.num_layers):
                size = cfg.input_size if layer == 0 else cfg.output_size
                if cfg.uses_fused_kernel:
                    self.layers.append(_fused(cfg, size, 1))
                else:
                    self.layers.append(
                        LoopLayer(
                            cfg.cell,
                            size,
                            cfg.hidden_size,
                            cfg.bidirectional,
                            cfg.proj_size,
                            cfg.zoneout,
                            cfg.recurrent_dropout,
                        )
                    )
        self.inter_dropout = nn.Dropout(cfg.dropout)
        if cfg.dropout and cfg.num_layers == 1:  # nn.LSTM warns likewise; here it would pass silently
            logger.warning(
                "RecurrentConfig dropout=%s does nothing with num_layers=1 (it acts between stacked layers "
                "only): set num_layers >= 2, apply nn.Dropout to the encoder's output, use "
                "recurrent_dropout (variational, on h_{t-1}; runs the step loop), or set dropout=0.0",
                cfg.dropout,
            )
        init_recurrent_(self, cfg.init)

    @property
    def output_size(self) -> int:
        """Per-step output features ``D*H_out``."""
        return self.config.output_size

    @check_args
    def init_hidden(self, batch_size: int, device: torch.device | str | None = None) -> State:
        """Zero state for ``batch_size`` sequences, for stateful use."""
        if batch_size < 0:
            raise ConfigError(f"init_hidden: batch_size must be >= 0, got {batch_size}")
        cfg = self.config
        p = next(self.parameters())
        dev = device if device is not None else p.device
        n = cfg.num_layers * cfg.directions
        h = torch.zeros(n, batch_size, cfg.proj_size or cfg.hidden_size, device=dev, dtype=p.dtype)
        c = torch.zeros(n, batch_size, cfg.hidden_size, device=dev, dtype=p.dtype) if cfg.is_lstm else None
        return State(h, c)

    @staticmethod
    def detach_hidden(state: State | None) -> State | None:
        """Cuts the autograd graph behind ``state`` (truncated back-propagation through time)."""
        if state is None:
            return None
        return State(state.h.detach(), state.c.detach() if state.c is not None else None)

    def forward(
        self,
        x: Tensor,
        lengths: Tensor | None = None,
        mask: Tensor | None = None,
        state: State | tuple[Tensor, Tensor | None] | None = None,
    ) -> EncoderOutput:
        """Encodes a padded batch.

        Args:
            x: ``(B, T, I)`` padded input.
            lengths: ``(B,)`` integer valid lengths in ``[1, T]`` (any order, any device), or None when all
                are ``T``. With a ``state``, 0 is accepted too (a truncated-BPTT chunk past a sequence's
                end): such a row outputs zeros and keeps its state unchanged (``last``: its top layer's ``h``).
            mask: ``(B, T)`` boolean mask of valid steps (a tensor, list or NumPy array), an alternative to
                ``lengths``.
            state: initial :class:`State` (``h`` ``(L*D, B, H_out)``, ``c`` ``(L*D, B, H)``) or None for zeros.

        Returns:
            :class:`EncoderOutput` with outputs ``(B, T, D*H_out)`` zero past each length, the true last
            state ``(B, D*H_out)`` of each sequence and the final state of all layers (taken at each
            sequence's last valid step).

        Raises:
            ShapeError: wrong input shape or dtype, lengths outside ``[1, T]`` (``[0, T]`` with a state) or
                not integers, a mask that is not a valid prefix per row or disagrees with ``lengths``, or a
                state that is not a :class:`State` of the right shape, dtype and device.
        """
        cfg = self.config
        if not isinstance(x, Tensor):
            raise ShapeError(
                f"input must be a torch.Tensor, got {type(x).__name__}; convert with torch.as_tensor(x).float()"
            )
        if x.dim() != 3 or x.shape[-1] != cfg.input_size:
            raise ShapeError(input_shape_message(tuple(x.shape), cfg.input_size))
        B, T = x.shape[0], x.shape[1]
        if T < 1:
            raise ShapeError("input has no time steps (T = 0); drop empty batches before encoding")
        self._check_dtype(x)
        if state is not None:
            state = self._check_state(state, B, x)
        empty_ok = state is not None  # a chunk past a sequence's end keeps the state it was given
        if isinstance(mask, tuple):  # was AttributeError: 'State' object has no attribute 'shape'
            raise ShapeError(
                f"mask must be a (batch, time) boolean tensor, got a {type(mask).__name__}; the third "
                "positional argument is mask: pass an initial state as state=..."
            )
        if mask is not None and not isinstance(mask, Tensor):  # a list or NumPy array, as lengths may be
            mask = torch.as_tensor(mask, device=x.device)
        if mask is not None:
            if mask.shape != (B, T):
                raise ShapeError(mask_shape_message(tuple(mask.shape), B, T))
            from_mask = lengths_from_mask(mask)
            if lengths is not None and not torch.equal(
                check_lengths(lengths, B, T, empty_ok), from_mask.cpu()
            ):
                raise ShapeError("lengths and mask disagree; pass only one of them")
            lengths = from_mask
        if lengths is not None:
            lengths = check_lengths(lengths, B, T, empty_ok)
            if state is not None and bool((lengths == 0).any()):
                return self._forward_nonempty(x, lengths, state)
            if bool((lengths == T).all()):
                lengths = None
        if B == 0:  # an empty batch (the last shard of a dataset): the kernels of gru and ln_lstm fail on it
            final = state if state is not None else self.init_hidden(0, x.device)
            return EncoderOutput(x.new_zeros(0, T, cfg.output_size), x.new_zeros(0, cfg.output_size), final)
        if self.rnn is not None:
            output, final = self._run_fused(self.rnn, x, lengths, state)
        else:
            output, final = self._run_layers(x, lengths, state)
        D, Hout = cfg.directions, cfg.proj_size or cfg.hidden_size
        if cfg.residual and cfg.num_layers > 1:
            last = self._last_from_output(output, lengths)  # includes the residual, like the output
        else:
            top = final.h.view(cfg.num_layers, D, B, Hout)[-1]  # (D, B, H_out)
            last = top.permute(1, 0, 2).reshape(B, D * Hout)
        return EncoderOutput(output, last, final)

    def _last_from_output(self, output: Tensor, lengths: Tensor | None) -> Tensor:
        """Forward half at each sequence's last valid step, reverse half at step 0: ``(B, D*H_out)``."""
        B, T = output.shape[0], output.shape[1]
        last_t = (
            (lengths - 1).to(output.device) if lengths is not None else output.new_full((B,), T - 1).long()
        )
        fwd = output[torch.arange(B, device=output.device), last_t]
        if self.config.directions == 1:
            return fwd
        half = output.shape[-1] // 2
        return torch.cat([fwd[:, :half], output[:, 0, half:]], dim=1)

    def _check_dtype(self, x: Tensor) -> None:
        p = next(self.parameters())
        if x.device != p.device:
            raise ShapeError(
                f"input is on {x.device} but the encoder on {p.device}; move one of them (x.to({str(p.device)!r}))"
            )
        if not x.is_floating_point():
            raise ShapeError(f"input must be a floating-point tensor, got {x.dtype}; convert with x.float()")
        if x.dtype != p.dtype and not autocast_covers(x.dtype, p.dtype, x.device.type):
            raise ShapeError(
                f"input dtype {x.dtype} does not match the encoder's {p.dtype}; convert the input "
                f"(x.to({p.dtype})), the encoder (encoder.to({x.dtype})), or run under autocast"
            )

    def _check_state(self, given: object, B: int, x: Tensor) -> State:
        cfg = self.config
        fields = tuple(given) if isinstance(given, tuple | list) else ()
        if len(fields) != 2 or not isinstance(fields[0], Tensor):
            kind = type(given).__name__
            if isinstance(given, Tensor):
                kind = f"a tensor of shape {tuple(given.shape)}"
            raise ShapeError(
                f"state must be a State(h, c) (c None for a {cfg.cell!r} cell), got {kind}; pass "
                f"State(h, None) for h alone, or start from encoder.init_hidden({B})"
            )
        state = State(*fields)
        n = cfg.num_layers * cfg.directions
        want_h = (n, B, cfg.proj_size or cfg.hidden_size)
        if tuple(state.h.shape) != want_h:
            raise ShapeError(state_shape_message("state.h", tuple(state.h.shape), want_h))
        if cfg.is_lstm:
            want_c = (n, B, cfg.hidden_size)
            if state.c is None or tuple(state.c.shape) != want_c:
                got = None if state.c is None else tuple(state.c.shape)
                raise ShapeError(state_shape_message("state.c", got, want_c))
        elif state.c is not None:
            raise ShapeError(
                f"state.c must be None for a {cfg.cell!r} cell (it has no cell state); pass State(state.h, None)"
            )
        p = next(self.parameters())
        for t in (state.h, state.c) if state.c is not None else (state.h,):
            if t.device != x.device:
                raise ShapeError(
                    f"state is on {t.device} but the encoder on {p.device}; move it (state.h.to({str(p.device)!r}))"
                )
            if t.dtype != p.dtype and not autocast_covers(t.dtype, p.dtype, x.device.type):
                raise ShapeError(
                    f"state dtype {t.dtype} does not match the encoder's {p.dtype}; convert it "
                    f"(state.h.to({p.dtype})) or start from encoder.init_hidden({B})"
                )
        return state

    def _forward_nonempty(self, x: Tensor, lengths: Tensor, state: State) -> EncoderOutput:
        """Runs the rows of ``lengths`` > 0 only; rows of length 0 output zeros and keep ``state``."""
        cfg = self.config
        B, T = x.shape[0], x.shape[1]
        keep = lengths.nonzero().squeeze(1)
        rows = keep.to(x.device)
        h, c = state.h, state.c
        D, Hout = cfg.directions, cfg.proj_size or cfg.hidden_size

        def top(h: Tensor) -> Tensor:  # (L*D, B, H_out) -> the top layer's (B, D*H_out)
            return h.view(cfg.num_layers, D, B, Hout)[-1].permute(1, 0, 2).reshape(B, D * Hout)

        if keep.numel() == 0:
            return EncoderOutput(x.new_zeros(B, T, cfg.output_size), top(h), state)
        part = State(h.index_select(1, rows), None if c is None else c.index_select(1, rows))
        sub = self.forward(x.index_select(0, rows), lengths[keep], state=part)
        output = sub.output.new_zeros(B, T, sub.output.shape[-1]).index_copy(0, rows, sub.output)
        sub_c = sub.state.c
        final = State(
            _scatter_rows(h, rows, sub.state.h),
            None if c is None or sub_c is None else _scatter_rows(c, rows, sub_c),
        )
        last = top(final.h).to(sub.last.dtype).index_copy(0, rows, sub.last)
        return EncoderOutput(output, last, final)

    def _run_fused(
        self, rnn: nn.RNNBase, x: Tensor, lengths: Tensor | None, state: State | None
    ) -> tuple[Tensor, State]:
        if isinstance(rnn, nn.LSTM) and cpu_fp16_autocast_lstm_fails(x):
            if not _WARNED:
                _WARNED.append(True)
                logger.warning(
                    "CPU autocast to float16 breaks oneDNN's LSTM in training; running it in float32"
                )
            with torch.autocast("cpu", enabled=False):
                p_dtype = next(rnn.parameters()).dtype
                st = None
                if state is not None:
                    st = State(state.h.to(p_dtype), None if state.c is None else state.c.to(p_dtype))
                return self._run_fused(rnn, x.to(p_dtype), lengths, st)  # type: ignore[arg-type]
        if _cudnn_cannot_backprop(rnn, x):
            # cuDNN's RNN backward runs in training mode only; gradients of a model in eval mode (saliency,
            # gradient x input, adversarial inputs) take PyTorch's native CUDA kernels instead.
            with torch.backends.cudnn.flags(enabled=False):
                return self._run_fused(rnn, x, lengths, state)
        hx: Tensor | tuple[Tensor, Tensor] | None = None
        if state is not None:
            hx = (state.h, state.c) if isinstance(rnn, nn.LSTM) else state.h  # type: ignore[assignment]
        if lengths is None and choose_gru_kernel(rnn, x)[0]:  # the fused C++ GRU loop, via the padded path
            out, hn = run_padded(rnn, x, torch.full((x.shape[0],), x.shape[1], dtype=torch.long), hx)
        elif lengths is None:
            out, hn = rnn(x, hx)
        elif choose_varlen(rnn, x, self.config.varlen)[0] == "padded":
            out, hn = run_padded(rnn, x, lengths, hx)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out_p, hn = rnn(packed, hx)
            out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=x.shape[1])
        if isinstance(hn, tuple):
            return out, State(hn[0], hn[1])
        return out, State(hn, None)

    def _run_layers(self, x: Tensor, lengths: Tensor | None, state: State | None) -> tuple[Tensor, State]:
        cfg = self.config
        D = cfg.directions
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        inp = x
        for i, layer in enumerate(self.layers):
            layer_state = None
            if state is not None:
                layer_state = State(
                    state.h[i * D : (i + 1) * D],
                    state.c[i * D : (i + 1) * D] if state.c is not None else None,
                )
            if isinstance(layer, LoopLayer):
                out, (h, c) = layer(inp, lengths, layer_state)
            else:
                out, final = self._run_fused(layer, inp, lengths, layer_state)  # type: ignore[arg-type]
                h, c = final
            if cfg.residual and i > 0 and out.shape[-1] == inp.shape[-1]:
                out = out + inp
            hs.append(h)
            if c is not None:
                cs.append(c)
            inp = self.inter_dropout(out) if i < len(self.layers) - 1 else out
        return inp, State(torch.cat(hs), torch.cat(cs) if cs else None)

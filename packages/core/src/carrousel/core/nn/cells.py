"""Custom recurrent cells run by a Python step loop, for what PyTorch's fused kernels lack.

Cells available by name (``RecurrentConfig.cell``):

* ``lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu``: the standard cells, with PyTorch's parameter names and
  gate order, so a loop layer and ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` share weights exactly. The loop runs
  them only when an option needs it (zoneout, recurrent dropout, ``backend="loop"``).
* ``ln_lstm``: layer-normalised LSTM (Ba et al. 2016): LayerNorm on the input and recurrent gate
  pre-activations and on the cell state before the output tanh.
* ``peephole_lstm``: LSTM with peephole connections (Gers & Schmidhuber 2000): diagonal weights from the
  cell state into the input and forget gates (previous cell) and the output gate (new cell).

Options for every loop cell: zoneout (Krueger et al. 2017; units keep their previous value with
probability ``p`` during training, expectation at evaluation) and variational recurrent dropout (Gal &
Ghahramani 2016; one dropout mask on the recurrent input ``h_{t-1}`` per sequence).

Speed (measured with ``benchmarks/bench_cells.py``, not assumed; figures in the package README):

* ``lstm``, ``peephole_lstm`` and ``ln_lstm`` (without a projection) run on a fused C++ loop by default
  where the extension is built (:mod:`.native`, :mod:`.lstm_native`; CPU float32/64): forward and
  hand-written backward over time in one call each, no Python per step. Without it (or with
  ``LoopLayer.native = False``) ``lstm`` and ``peephole_lstm`` run the same loop in Python
  (:mod:`.lstm_loop`), ``ln_lstm`` the autograd loop below (:mod:`.ln_lstm_loop`, measured slower than
  autograd, only with ``native = False``). All are exact to the autograd loop
  (``tests/core/test_lstm_native.py``, ``test_lstm_loop.py``); ``LoopLayer.fused_loop = False`` runs it;
* in the autograd loop, the input projection ``W_ih x_t + b`` of every step, and ``b_hh`` where the cell
  allows it, is computed for the whole sequence in one matrix multiply before the loop; a step is one
  ``addmm`` plus gate arithmetic, and the projected sequence is split with ``unbind`` (one autograd node)
  rather than indexed per step (quadratic in T: the first version was about 5x slower than ``nn.LSTM``);
* no per-step masking: steps past a sequence's length cannot influence its valid steps (the recurrence
  runs forwards in time, and the reverse direction reverses each sequence within its own length), so the
  loop runs unmasked up to the longest length, zeroes the padding once at the end and gathers each
  sequence's final state at its last valid step;
* zoneout masks are drawn for all steps at once (the same draws on both paths) and applied with
  ``torch.lerp``.

``torch.compile`` of a whole loop layer is left to the caller (``torch.compile(encoder)`` for
fixed-length workloads): it measured 0.87-1.04x of ``nn.LSTM`` but took 34-103 s to build per shape.

On a loaded machine PyTorch's CPU LayerNorm (used by ``ln_lstm``) can spend milliseconds per tiny call
handing work between threads; ``torch.set_num_threads(1)`` removes that cost for small models.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.nn.ln_lstm_loop import ln_lstm_loop
from carrousel.core.nn.lstm_loop import lstm_loop
from carrousel.core.nn.lstm_native import native_ln_lstm_loop, native_lstm_loop
from carrousel.core.nn.native import draw_mask, native_applies
from carrousel.core.registry import Registry

__all__ = [
    "CELLS",
    "GRUCell",
    "LNLSTMCell",
    "LSTMCell",
    "LoopCell",
    "LoopLayer",
    "PeepholeLSTMCell",
    "RNNCell",
    "ReLURNNCell",
    "reverse_padded",
]

State = tuple[Tensor, Tensor | None]


class LoopCell(nn.Module):
    """Base class of cells run by :class:`LoopLayer`.

    Subclasses set ``gates`` (blocks in the input projection) and ``is_lstm`` and implement
    :meth:`project` (hoisted input projection) and :meth:`step`. Parameter names and gate order follow
    PyTorch (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``, ``weight_hr``).

    Args:
        input_size: features per step ``I``.
        hidden_size: hidden units ``H``.
        proj_size: LSTM output projection size (0 for none).
    """

    gates: int = 1
    is_lstm: bool = False

    @check_args
    def __init__(self, input_size: int, hidden_size: int, proj_size: int = 0) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.proj_size = proj_size
        out = proj_size or hidden_size
        g = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(g, input_size))
        self.weight_hh = nn.Parameter(torch.empty(g, out))
        self.bias_ih = nn.Parameter(torch.empty(g))
        self.bias_hh = nn.Parameter(torch.empty(g))
        if proj_size:
            self.weight_hr = nn.Parameter(torch.empty(proj_size, hidden_size))
        self.reset_parameters()

    @property
    def output_size(self) -> int:
        """Size of ``h`` (the projection size when set)."""
        return self.proj_size or self.hidden_size

    def reset_parameters(self) -> None:
        """PyTorch's default uniform(-1/sqrt(H), 1/sqrt(H)) for the recurrent weights and biases."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for name, p in self.named_parameters(recurse=False):
            if name.startswith(("weight_", "bias_")):
                nn.init.uniform_(p, -bound, bound)

    def project(self, x: Tensor) -> Tensor:
        """Input projection of a whole sequence, ``(..., I) -> (..., gates*H)``, with both biases."""
        return F.linear(x, self.weight_ih, self.bias_ih + self.bias_hh)

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        """One step. ``xw``: ``(B, gates*H)``, ``h``: ``(B, H_out)``, ``c``: ``(B, H)`` or None."""
        raise NotImplementedError

    def _output(self, h: Tensor) -> Tensor:
        return F.linear(h, self.weight_hr) if self.proj_size else h


CELLS: Registry[LoopCell] = Registry("recurrent cell", LoopCell, decorator="carrousel.core.nn.CELLS.register")


@CELLS.register("lstm")
class LSTMCell(LoopCell):
    """Standard LSTM: ``c = f*c + i*g``, ``h = o*tanh(c)`` (optionally projected)."""

    gates = 4
    is_lstm = True

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        assert c is not None
        z = torch.addmm(xw, h, self.weight_hh.t())
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return self._output(torch.sigmoid(o) * torch.tanh(c)), c


@CELLS.register("peephole_lstm")
class PeepholeLSTMCell(LSTMCell):
    """LSTM with diagonal peephole weights from the cell state into the i, f (old cell) and o (new cell)
    gates."""

    @check_args
    def __init__(self, input_size: int, hidden_size: int, proj_size: int = 0) -> None:
        super().__init__(input_size, hidden_size, proj_size)
        self.peephole = nn.Parameter(torch.zeros(3, hidden_size))

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        assert c is not None
        z = torch.addmm(xw, h, self.weight_hh.t())
        i, f, g, o = z.chunk(4, dim=1)
        i = torch.sigmoid(torch.addcmul(i, self.peephole[0], c))
        f = torch.sigmoid(torch.addcmul(f, self.peephole[1], c))
        c = f * c + i * torch.tanh(g)
        o = torch.sigmoid(torch.addcmul(o, self.peephole[2], c))
        return self._output(o * torch.tanh(c)), c


@CELLS.register("ln_lstm")
class LNLSTMCell(LSTMCell):
    """Layer-normalised LSTM: separate LayerNorms on ``W_ih x`` and ``W_hh h`` (gate pre-activations) and
    on the cell state before the output tanh (Ba, Kiros & Hinton 2016)."""

    @check_args
    def __init__(self, input_size: int, hidden_size: int, proj_size: int = 0) -> None:
        super().__init__(input_size, hidden_size, proj_size)
        self.ln_ih = nn.LayerNorm(4 * hidden_size)
        self.ln_hh = nn.LayerNorm(4 * hidden_size)
        self.ln_c = nn.LayerNorm(hidden_size)

    def project(self, x: Tensor) -> Tensor:
        return self.ln_ih(F.linear(x, self.weight_ih)) + (self.bias_ih + self.bias_hh)

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        assert c is not None
        z = xw + self.ln_hh(torch.mm(h, self.weight_hh.t()))
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return self._output(torch.sigmoid(o) * torch.tanh(self.ln_c(c))), c


@CELLS.register("gru")
class GRUCell(LoopCell):
    """GRU with PyTorch's equations: ``n = tanh(x_n + r*(W_hn h + b_hn))``, ``h = (1-z)*n + z*h``."""

    gates = 3

    def project(self, x: Tensor) -> Tensor:
        # b_hr and b_hz can be hoisted; b_hn sits inside r*(.) and stays in the step.
        H = self.hidden_size
        bias = torch.cat([self.bias_ih[: 2 * H] + self.bias_hh[: 2 * H], self.bias_ih[2 * H :]])
        return F.linear(x, self.weight_ih, bias)

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        H = self.hidden_size
        hw = torch.mm(h, self.weight_hh.t())
        rz = torch.sigmoid(xw[:, : 2 * H] + hw[:, : 2 * H])
        r, z = rz.chunk(2, dim=1)
        n = torch.tanh(torch.addcmul(xw[:, 2 * H :], r, hw[:, 2 * H :] + self.bias_hh[2 * H :]))
        return torch.lerp(n, h, z), None


@CELLS.register("rnn_tanh")
class RNNCell(LoopCell):
    """Elman RNN: ``h = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""

    gates = 1
    nonlinearity = "tanh"

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        z = torch.addmm(xw, h, self.weight_hh.t())
        return (torch.tanh(z) if self.nonlinearity == "tanh" else torch.relu(z)), None


@CELLS.register("rnn_relu")
class ReLURNNCell(RNNCell):
    """Elman RNN with ReLU: ``h = relu(W_ih x + b_ih + W_hh h + b_hh)``."""

    nonlinearity = "relu"


def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverses each sequence of ``x`` ``(B, T, F)`` within its own length; padding stays in place."""
    if lengths is None:
        return x.flip(1)
    B, T = x.shape[0], x.shape[1]
    t = torch.arange(T, device=x.device).unsqueeze(0).expand(B, T)
    lens = lengths.to(x.device).unsqueeze(1)
    idx = torch.where(t < lens, lens - 1 - t, t)
    return x.gather(1, idx.unsqueeze(-1).expand_as(x))


class LoopLayer(nn.Module):
    """One recurrent layer (one or two directions) of a :class:`LoopCell`, stepped in Python.

    Args:
        cell: registered cell name.
        input_size: features per step.
        hidden_size: hidden units per direction.
        bidirectional: adds a reverse-direction cell.
        proj_size: LSTM projection size (0 for none).
        zoneout: zoneout probability on h (and c).
        recurrent_dropout: variational dropout probability on ``h_{t-1}``.
    """

    @check_args
    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        bidirectional: bool = False,
        proj_size: int = 0,
        zoneout: float = 0.0,
        recurrent_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        cls = CELLS.get(cell)
        self.cell_name = cell
        self.cells = nn.ModuleList(
            cls(input_size, hidden_size, proj_size) for _ in range(2 if bidirectional else 1)
        )
        self.hidden_size = hidden_size
        self.output_size = self.cells[0].output_size
        self.is_lstm = cls.is_lstm
        self.zoneout = zoneout
        self.recurrent_dropout = recurrent_dropout
        # a hand-written forward/backward (lstm, peephole_lstm, ln_lstm without projection); False runs
        # the autograd step loop (the reference it is tested against)
        self.fused_loop = cls in (LSTMCell, PeepholeLSTMCell, LNLSTMCell) and not proj_size
        # that loop in C++ (native.py) where it applies (CPU float32/64, extension built). False, or no
        # extension: lstm_loop.py in Python; for ln_lstm ln_lstm_loop.py only with False (it measured
        # slower than autograd), the autograd loop without the extension
        self.native = True

    def forward(self, x: Tensor, lengths: Tensor | None, state: State | None) -> tuple[Tensor, State]:
        """Runs the layer.

        Args:
            x: ``(B, T, I)`` padded input.
            lengths: ``(B,)`` valid lengths in ``[1, T]``, or None when all are ``T``.
            state: ``h0`` ``(D, B, H_out)`` and ``c0`` ``(D, B, H)`` (LSTM) or None for zeros.

        Returns:
            Output ``(B, T, D*H_out)`` (zero past each length) and final ``(h_n, c_n)`` per direction, each
            taken at the sequence's last valid step.
        """
        T = x.shape[1]
        steps = T if lengths is None else int(lengths.max())
        xs = x[:, :steps] if steps < T else x
        lens = None if lengths is None else lengths.to(x.device)
        pad = None  # (B, steps, 1) padded steps, set to zero: a NaN there reaches no output or gradient
        if lens is not None:
            pad = torch.arange(steps, device=x.device)[None, :, None] >= lens[:, None, None]
            xs = xs.masked_fill(pad, 0.0)
        outs: list[Tensor] = []
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        for d, cell in enumerate(self.cells):
            xd = xs if d == 0 else reverse_padded(xs, lens)
            h0 = state[0][d] if state is not None else None
            c0 = state[1][d] if state is not None and state[1] is not None else None
            out, h, c = self._run(cell, xd, lens, h0, c0)  # type: ignore[arg-type]
            outs.append(out if d == 0 else reverse_padded(out, lens))
            hs.append(h)
            if c is not None:
                cs.append(c)
        out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
        if pad is not None:
            out = out.masked_fill(pad, 0.0)
        if steps < T:
            out = F.pad(out, (0, 0, 0, T - steps))
        return out, (torch.stack(hs), torch.stack(cs) if cs else None)

    def _run(
        self, cell: LoopCell, x: Tensor, lengths: Tensor | None, h: Tensor | None, c: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """Steps one direction over ``x`` ``(B, T, I)``; returns raw outputs ``(B, T, H_out)`` and finals."""
        if self.fused_loop and torch.is_autocast_enabled(x.device.type):
            # the hand-written loops compute in one dtype (autocast's bf16 gates met float32 weights in
            # addmm_): they run in the weights' dtype outside autocast, as the GRU and ln_lstm did already
            dt = cell.weight_hh.dtype
            with torch.autocast(x.device.type, enabled=False):
                hd, cd = (None if s is None else s.to(dt) for s in (h, c))
                return self._run(cell, x.to(dt), lengths, hd, cd)
        B, T = x.shape[0], x.shape[1]
        if h is None:
            h = x.new_zeros(B, cell.output_size)
        if c is None and cell.is_lstm:
            c = x.new_zeros(B, cell.hidden_size)
        drop: Tensor | None = None
        if self.training and self.recurrent_dropout > 0:
            keep = 1.0 - self.recurrent_dropout
            drop = draw_mask(tuple(h.shape), keep, h) / keep
        zht: Tensor | None = None  # zoneout masks of all steps (1 = keep the previous value)
        zct: Tensor | None = None
        if self.training and self.zoneout > 0:
            zht = draw_mask((T, *h.shape), self.zoneout, h)
            if c is not None:
                zct = draw_mask((T, *c.shape), self.zoneout, c)
        p = self.zoneout
        want_native = getattr(self, "native", True)
        native = want_native and native_applies(x)[0]
        ln = isinstance(cell, LNLSTMCell)
        if self.fused_loop and c is not None and (native or not ln or not want_native):
            xt = x.transpose(0, 1)  # time-major so each step is contiguous
            if ln and native:  # LN_ih and the bias run in the C++ pass
                b = cell.bias_ih + cell.bias_hh
                lns = (cell.ln_ih, cell.ln_hh, cell.ln_c)
                args = (cell.weight_hh, *lns, h, c, drop, zht, zct, p)
                hst, cst = native_ln_lstm_loop(xt, cell.weight_ih, b, *args)  # type: ignore[arg-type]
            elif ln:
                xw = cell.project(xt)
                hst, cst = ln_lstm_loop(xw, cell.weight_hh, cell.ln_hh, cell.ln_c, h, c, drop, zht, zct, p)  # type: ignore[arg-type]
            else:
                peep = cell.peephole if isinstance(cell, PeepholeLSTMCell) else None
                bias = cell.bias_ih + cell.bias_hh
                run = native_lstm_loop if native else lstm_loop
                hst, cst = run(xt, cell.weight_ih, bias, cell.weight_hh, peep, h, c, drop, zht, zct, p)
            out = hst.transpose(0, 1)
            if lengths is None:
                return out, hst[-1], cst[-1]
            idx = torch.arange(B, device=x.device)
            return out, out[idx, lengths - 1], cst.transpose(0, 1)[idx, lengths - 1]
        xw = cell.project(x.transpose(0, 1))  # (T, B, gates*H), time-major so each step is contiguous
        zh = None if zht is None else list(zht.unbind(0))
        zc = None if zct is None else list(zct.unbind(0))
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        keep_c = lengths is not None and c is not None
        for t, xt in enumerate(xw.unbind(0)):
            h_new, c_new = cell.step(xt, h * drop if drop is not None else h, c)
            if p > 0:  # zoneout: keep the previous value (training: per unit at random; eval: expectation)
                h_new = torch.lerp(h_new, h, zh[t] if zh is not None else p)
                if c is not None and c_new is not None:
                    c_new = torch.lerp(c_new, c, zc[t] if zc is not None else p)
            h, c = h_new, c_new
            hs.append(h)
            if keep_c:
                cs.append(c)  # type: ignore[arg-type]
        out = torch.stack(hs, dim=1)  # (B, T, H_out)
        if lengths is None:
            return out, h, c
        idx = torch.arange(B, device=x.device)
        last = lengths - 1
        h_n = out[idx, last]
        c_n = torch.stack(cs, dim=1)[idx, last] if keep_c else None
        return out, h_n, c_n

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

Speed: the input projection ``W_ih x_t + b`` of every step is computed for the whole sequence in one
matrix multiply before the loop; the loop only does the recurrent matmul and the gate arithmetic.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from carrousel.core.registry import Registry

__all__ = ["CELLS", "GRUCell", "LNLSTMCell", "LSTMCell", "LoopCell", "LoopLayer", "PeepholeLSTMCell", "RNNCell"]

State = tuple[Tensor, Tensor | None]


class LoopCell(nn.Module):
    """Base class of cells run by :class:`LoopLayer`.

    Subclasses set ``gates`` (blocks in the input projection) and ``is_lstm`` and implement
    :meth:`project` (hoisted input projection) and :meth:`step`.

    Args:
        input_size: features per step ``I``.
        hidden_size: hidden units ``H``.
        proj_size: LSTM output projection size (0 for none).
    """

    gates: int = 1
    is_lstm: bool = False

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
        """PyTorch's default uniform(-1/sqrt(H), 1/sqrt(H)) initialisation."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def project(self, x: Tensor) -> Tensor:
        """Input projection of a whole sequence: ``(B, T, I) -> (B, T, gates*H)``."""
        return torch.nn.functional.linear(x, self.weight_ih, self.bias_ih)

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        """One step. ``xw``: ``(B, gates*H)``, ``h``: ``(B, H_out)``, ``c``: ``(B, H)`` or None."""
        raise NotImplementedError


CELLS: Registry[LoopCell] = Registry("recurrent cell", LoopCell)


@CELLS.register("lstm")
class LSTMCell(LoopCell):
    """Standard LSTM: ``c = f*c + i*g``, ``h = o*tanh(c)`` (optionally projected)."""

    gates = 4
    is_lstm = True

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        assert c is not None
        z = xw + torch.nn.functional.linear(h, self.weight_hh, self.bias_hh)
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        if self.proj_size:
            h = torch.nn.functional.linear(h, self.weight_hr)
        return h, c


@CELLS.register("peephole_lstm")
class PeepholeLSTMCell(LSTMCell):
    """LSTM with diagonal peephole weights from the cell state into the i, f (old cell) and o (new cell)
    gates."""

    def __init__(self, input_size: int, hidden_size: int, proj_size: int = 0) -> None:
        super().__init__(input_size, hidden_size, proj_size)
        self.peephole = nn.Parameter(torch.zeros(3, hidden_size))

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        assert c is not None
        z = xw + torch.nn.functional.linear(h, self.weight_hh, self.bias_hh)
        i, f, g, o = z.chunk(4, dim=1)
        i = torch.sigmoid(i + self.peephole[0] * c)
        f = torch.sigmoid(f + self.peephole[1] * c)
        c = f * c + i * torch.tanh(g)
        h = torch.sigmoid(o + self.peephole[2] * c) * torch.tanh(c)
        if self.proj_size:
            h = torch.nn.functional.linear(h, self.weight_hr)
        return h, c


@CELLS.register("ln_lstm")
class LNLSTMCell(LSTMCell):
    """Layer-normalised LSTM: separate LayerNorms on ``W_ih x`` and ``W_hh h`` (gate pre-activations) and
    on the cell state before the output tanh (Ba, Kiros & Hinton 2016)."""

    def __init__(self, input_size: int, hidden_size: int, proj_size: int = 0) -> None:
        super().__init__(input_size, hidden_size, proj_size)
        self.ln_ih = nn.LayerNorm(4 * hidden_size)
        self.ln_hh = nn.LayerNorm(4 * hidden_size)
        self.ln_c = nn.LayerNorm(hidden_size)

    def project(self, x: Tensor) -> Tensor:
        return self.ln_ih(torch.nn.functional.linear(x, self.weight_ih)) + self.bias_ih

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        assert c is not None
        z = xw + self.ln_hh(torch.nn.functional.linear(h, self.weight_hh)) + self.bias_hh
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(self.ln_c(c))
        if self.proj_size:
            h = torch.nn.functional.linear(h, self.weight_hr)
        return h, c


@CELLS.register("gru")
class GRUCell(LoopCell):
    """GRU with PyTorch's equations: ``n = tanh(x_n + r*(W_hn h + b_hn))``, ``h = (1-z)*n + z*h``."""

    gates = 3

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        hw = torch.nn.functional.linear(h, self.weight_hh, self.bias_hh)
        xr, xz, xn = xw.chunk(3, dim=1)
        hr, hz, hn = hw.chunk(3, dim=1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1.0 - z) * n + z * h, None


@CELLS.register("rnn_tanh")
class RNNCell(LoopCell):
    """Elman RNN: ``h = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""

    gates = 1
    nonlinearity = "tanh"

    def step(self, xw: Tensor, h: Tensor, c: Tensor | None) -> State:
        z = xw + torch.nn.functional.linear(h, self.weight_hh, self.bias_hh)
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
        self.cells = nn.ModuleList(
            cls(input_size, hidden_size, proj_size) for _ in range(2 if bidirectional else 1)
        )
        self.hidden_size = hidden_size
        self.output_size = self.cells[0].output_size
        self.is_lstm = cls.is_lstm
        self.zoneout = zoneout
        self.recurrent_dropout = recurrent_dropout

    def forward(self, x: Tensor, lengths: Tensor | None, state: State | None) -> tuple[Tensor, State]:
        """Runs the layer.

        Args:
            x: ``(B, T, I)`` padded input.
            lengths: ``(B,)`` valid lengths, or None when all are ``T``.
            state: ``h0`` ``(D, B, H_out)`` and ``c0`` ``(D, B, H)`` (LSTM) or None for zeros.

        Returns:
            Output ``(B, T, D*H_out)`` (zero past each length) and final ``(h_n, c_n)`` per direction.
        """
        outs: list[Tensor] = []
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        for d, cell in enumerate(self.cells):
            xd = x if d == 0 else reverse_padded(x, lengths)
            h0 = state[0][d] if state is not None else None
            c0 = state[1][d] if state is not None and state[1] is not None else None
            out, h, c = self._run(cell, xd, lengths, h0, c0)  # type: ignore[arg-type]
            outs.append(out if d == 0 else reverse_padded(out, lengths))
            hs.append(h)
            if c is not None:
                cs.append(c)
        return torch.cat(outs, dim=2), (torch.stack(hs), torch.stack(cs) if cs else None)

    def _run(
        self, cell: LoopCell, x: Tensor, lengths: Tensor | None, h: Tensor | None, c: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        B, T = x.shape[0], x.shape[1]
        xw = cell.project(x)
        if h is None:
            h = xw.new_zeros(B, cell.output_size)
        if c is None and cell.is_lstm:
            c = xw.new_zeros(B, cell.hidden_size)
        drop_mask = None
        if self.training and self.recurrent_dropout > 0:
            keep = 1.0 - self.recurrent_dropout
            drop_mask = torch.bernoulli(h.new_full(h.shape, keep)) / keep
        valid = None
        if lengths is not None:
            valid = torch.arange(T, device=x.device).unsqueeze(1) < lengths.to(x.device).unsqueeze(0)  # (T, B)
        outs = []
        for t in range(T):
            h_in = h * drop_mask if drop_mask is not None else h
            h_new, c_new = cell.step(xw[:, t], h_in, c)
            if self.zoneout > 0:
                h_new = self._zoneout(h, h_new)
                if c is not None and c_new is not None:
                    c_new = self._zoneout(c, c_new)
            if valid is not None:
                m = valid[t].unsqueeze(1)
                h = torch.where(m, h_new, h)
                if c is not None and c_new is not None:
                    c = torch.where(m, c_new, c)
                outs.append(h_new * m)
            else:
                h, c = h_new, c_new
                outs.append(h_new)
        return torch.stack(outs, dim=1), h, c

    def _zoneout(self, prev: Tensor, new: Tensor) -> Tensor:
        p = self.zoneout
        if self.training:
            keep_prev = torch.bernoulli(prev.new_full(prev.shape, p))
            return keep_prev * prev + (1.0 - keep_prev) * new
        return p * prev + (1.0 - p) * new

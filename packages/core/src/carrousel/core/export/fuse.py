"""Parallel members fused into one network for deployment: an ensemble's forward with one recurrent node
per layer instead of one per member and layer.

A seed ensemble runs ``N`` members that read the same input, each a recurrent encoder plus a linear head,
and reduces their outputs. At small hidden sizes the fixed cost per time step and per recurrent node
dominates, so :func:`fuse_members` rewrites the members as ONE network that computes the same function
exactly:

* every recurrent layer carries ``N*H`` units (``H`` the largest member's; a smaller member's extra units
  are zero and stay zero: their gates see zero weights and biases, so ``c`` and ``h`` remain 0);
* the recurrent weights are block-diagonal **per gate block**: PyTorch packs the gates as row blocks
  (LSTM ``[i, f, g, o]``, GRU ``[r, z, n]``, RNN one block), so member ``k``'s rows of gate ``j`` go to rows
  ``j*N*H + k*H ...``; the first layer's input weights are stacked (the input is shared), the next layers'
  input weights are block-diagonal over the previous layer's ``[direction][member][unit]`` outputs;
  biases are placed like the rows;
* the heads become one block-diagonal linear layer, ``(B, D*N*H) -> (B, N*O)``; each member's output
  transform (a quantile head's softplus increments and cumulative sum) runs per member on the reshaped
  ``(B, N, ...)``, then the members are reduced (``mean`` as :class:`torch.stack` ``(...).mean(0)``, or
  ``stack`` for every member's output ``(N, B, ...)``).

The fused network is for inference (evaluation mode; dropout is the identity there). It exports through
:func:`~carrousel.core.export.deploy.export_bundle` like any core model: one ONNX ``LSTM``/``GRU`` node per
layer. Dynamic int8 quantization keeps the off-diagonal zeros exact (zero is a grid point of the
quantized range), so they cost multiply-adds but no accuracy. :func:`check_fused` compares the fused
network with the original ensemble. It is not a registered module: a bundle keeps the members' own weights
and only the exported graph is fused.

What it buys (``benchmarks/bench_fuse.py``, ONNX Runtime, one thread): fewer nodes and per-step calls, which
pays at batch 1 and at small hidden sizes (a finance ensemble of 3 x 8 units: 1.7-2.1x at batch 1 and 64);
the fused recurrent product does ``N`` times the multiply-adds of the members' (the zero blocks), which at
3 x 32 units in fp32 made batch 64 slower (0.6-0.9x), while int8 broke even there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.errors import ExportError
from carrousel.core.export.graph import why_not_exportable
from carrousel.core.nn.attention import Pooling
from carrousel.core.nn.heads import (
    ClassificationHead,
    QuantileHead,
    RegressionHead,
    SequenceClassifier,
    SequenceRegressor,
)
from carrousel.core.nn.recurrent import RecurrentConfig, RecurrentEncoder

__all__ = ["REDUCTIONS", "FusedMembers", "check_fused", "fuse_members"]

logger = logging.getLogger(__name__)

REDUCTIONS = ("mean", "stack")  # how the members' outputs are combined
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}  # row blocks of PyTorch's packed weights
_POOLINGS = ("last", "mean", "max")  # poolings that act feature by feature (attention mixes features)


_Net = SequenceRegressor | SequenceClassifier
_Member = tuple[_Net, RecurrentConfig, nn.Linear]  # the network, its encoder's configuration, its head layer


def _member(member: nn.Module, index: int) -> _Member:
    """The member with its encoder configuration and head layer, after checking what fusion supports."""
    where = f"member {index} ({type(member).__name__})"
    if not isinstance(member, SequenceRegressor | SequenceClassifier):
        raise ExportError(
            f"cannot fuse {where}: only core SequenceRegressor / SequenceClassifier members fuse; "
            "export the ensemble unfused"
        )
    cfg = member.encoder.config
    why = why_not_exportable(cfg)
    if why is not None:
        raise ExportError(f"cannot fuse {where}: {why}; use cell lstm/gru/rnn without the step loop")
    if member.embedding is not None:
        raise ExportError(f"cannot fuse {where}: it embeds integer ids (each member its own table)")
    if cfg.proj_size:
        raise ExportError(f"cannot fuse {where}: projected LSTMs (proj_size) are not fused; set proj_size=0")
    if member.pooling.mode not in _POOLINGS:
        raise ExportError(
            f"cannot fuse {where}: pooling {member.pooling.mode!r} mixes features; use one of "
            f"{', '.join(_POOLINGS)}"
        )
    head = member.head
    if not isinstance(head, QuantileHead | RegressionHead | ClassificationHead):
        raise ExportError(f"cannot fuse {where}: its head {type(head).__name__} is not a core linear head")
    return member, cfg, head.linear


def _check_alike(members: Sequence[nn.Module]) -> list[_Member]:
    """Every member checked; members must differ in hidden size at most."""
    if not members:
        raise ExportError("cannot fuse an empty list of members; give at least one network")
    checked = [_member(m, i) for i, m in enumerate(members)]
    net0, first, linear0 = checked[0]
    for i, (net, cfg, linear) in enumerate(checked):
        if replace(cfg, hidden_size=first.hidden_size) != first or type(net) is not type(net0):
            raise ExportError(
                f"cannot fuse member {i}: its encoder differs from member 0's in more than the hidden size; "
                "fuse members of one configuration"
            )
        head, head0 = net.head, net0.head
        same = type(head) is type(head0) and linear.out_features == linear0.out_features
        if isinstance(head, QuantileHead) and isinstance(head0, QuantileHead):
            same = same and (head.horizon, head.quantiles) == (head0.horizon, head0.quantiles)
        if not same or net.pooling.mode != net0.pooling.mode:
            raise ExportError(f"cannot fuse member {i}: its head or pooling differs from member 0's")
    return checked


def _place(k: int, size: int, blocks: int, n: int, width: int) -> Tensor:
    """Indices in the fused layout ``[block][member][unit]`` (``width`` units per member) of member ``k``'s
    ``blocks`` blocks of ``size`` units (its own layout ``[block][unit]``)."""
    b = torch.arange(blocks).repeat_interleave(size)
    u = torch.arange(size).repeat(blocks)
    return b * n * width + k * width + u


class FusedMembers(nn.Module):
    """``N`` parallel members as one network (see the module docstring); built by :func:`fuse_members`.

    Args:
        encoder: the fused encoder configuration (``hidden_size`` ``N*H``).
        members: ``N``.
        out_features: each member's head outputs ``O``.
        pooling: the members' pooling (last, mean or max).
        quantiles: a quantile head's levels (its outputs are ``(horizon, Q)``); () for a linear head.
        reduce: ``mean`` or ``stack`` (see :data:`REDUCTIONS`).
    """

    @check_args
    def __init__(
        self,
        encoder: RecurrentConfig,
        members: int,
        out_features: int,
        pooling: str = "last",
        quantiles: tuple[float, ...] = (),
        reduce: str = "mean",
    ) -> None:
        super().__init__()
        if reduce not in REDUCTIONS:
            raise ExportError(f"unknown reduction {reduce!r}; choose one of: {', '.join(REDUCTIONS)}")
        self.members = members
        self.out_features = out_features
        self.pool = Pooling(pooling, encoder.output_size, encoder.directions)
        self.quantiles = tuple(quantiles)
        self.reduce = reduce
        self.encoder = RecurrentEncoder(encoder)
        self.head = nn.Linear(encoder.output_size, members * out_features)

    def forward(self, x: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None) -> Tensor:
        """``(B, T, I)`` -> the reduced output: ``(B, O)`` (``(B, horizon, Q)`` for quantile heads), or with
        ``reduce="stack"`` every member's ``(N, B, ...)``."""
        enc = self.encoder(x, lengths=lengths, mask=mask)
        feats = enc.last if self.pool.mode == "last" else self.pool(enc.output, lengths, mask)
        raw = self.head(feats)
        if self.quantiles:
            q = len(self.quantiles)
            raw = raw.view(raw.shape[0], self.members, self.out_features // q, q)
            raw = torch.cat([raw[..., :1], F.softplus(raw[..., 1:])], dim=-1).cumsum(dim=-1)
        else:
            raw = raw.view(raw.shape[0], self.members, self.out_features)
        out = raw.transpose(0, 1)  # (N, B, ...): the members' outputs as torch.stack gives them
        return out.mean(dim=0) if self.reduce == "mean" else out


def fuse_members(members: Sequence[nn.Module], reduce: str = "mean") -> FusedMembers:
    """One network computing ``reduce`` over ``members``' outputs on a shared input (evaluation mode).

    Args:
        members: core :class:`SequenceRegressor` / :class:`SequenceClassifier` networks of one configuration
            (lstm, gru or rnn cells, any layers, uni- or bidirectional, residual or not; the hidden size may
            differ, smaller members are zero-padded), pooling last, mean or max, no embedding.
        reduce: ``mean`` (the members' outputs averaged, as ``torch.stack(outputs).mean(0)``) or ``stack``.

    Returns:
        A :class:`FusedMembers` in evaluation mode, in the members' dtype and device.

    Raises:
        ExportError: naming the member and why it cannot be fused (a step-loop cell, a projection,
            attention pooling, an embedding, members of different configurations).
    """
    checked = _check_alike(members)
    cfgs = [cfg for _, cfg, _ in checked]
    n, width = len(checked), max(c.hidden_size for c in cfgs)
    first, _, linear0 = checked[0]
    out_features = linear0.out_features
    fused_cfg = replace(cfgs[0], hidden_size=n * width, init="pytorch")
    quantiles = first.head.quantiles if isinstance(first.head, QuantileHead) else ()
    fused = FusedMembers(fused_cfg, n, out_features, first.pooling.mode, quantiles, reduce)
    ref = next(first.parameters())
    fused = fused.to(dtype=ref.dtype, device=ref.device).eval()
    gates, directions = _GATES[fused_cfg.cell], fused_cfg.directions
    with torch.no_grad():
        for p in fused.parameters():
            p.zero_()
        for name, param in fused.encoder.named_parameters():
            first_input = name.startswith(("rnn.weight_ih_l0", "layers.0.weight_ih"))  # the shared input
            for k, (net, cfg, _) in enumerate(checked):
                src = net.encoder.get_parameter(name)
                size = cfg.hidden_size
                rows = _place(k, size, gates, n, width)
                if ".bias" in name:
                    param[rows] = src
                    continue
                if ".weight_hh" in name:
                    cols = _place(k, size, 1, n, width)
                elif first_input:
                    cols = torch.arange(cfg.input_size)  # stacked
                else:
                    cols = _place(k, size, directions, n, width)
                param[rows.unsqueeze(1), cols.unsqueeze(0)] = src
        for k, (_, cfg, linear) in enumerate(checked):
            rows = torch.arange(k * out_features, (k + 1) * out_features)
            cols = _place(k, cfg.hidden_size, directions, n, width)
            fused.head.weight[rows.unsqueeze(1), cols.unsqueeze(0)] = linear.weight
            fused.head.bias[rows] = linear.bias
    sizes = sorted({c.hidden_size for c in cfgs})
    logger.info("fused %d members (hidden %s) into one network of %d units per layer", n, sizes, n * width)
    return fused


def check_fused(
    fused: nn.Module, reference: Callable[[Tensor], Tensor], inputs: Sequence[Tensor], atol: float = 1e-5
) -> float:
    """Largest ``|fused(x) - reference(x)|`` over ``inputs``; raises when it is over ``atol``.

    Raises:
        ExportError: the fused network does not reproduce the reference.
    """
    worst = 0.0
    with torch.no_grad():
        for x in inputs:
            worst = max(worst, float((fused(x) - reference(x)).abs().max()))
    if worst > atol:
        raise ExportError(
            f"the fused members differ from the ensemble by {worst:.3g} (over {atol:g}); export it unfused"
        )
    return worst

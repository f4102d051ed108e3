"""Unstructured magnitude pruning: zero the smallest weights, keep them zero through fine-tuning.

:class:`MagnitudePruner` computes a 0/1 mask per weight matrix, either over all chosen weights at once
(``scope="global"``: one threshold, layers lose different fractions) or per matrix (``scope="layer"``:
each loses ``amount``), and zeroes the pruned weights in place. During fine-tuning
:class:`PruneCallback` (a :class:`~carrousel.core.train.Callback`) zeroes them again after every
optimiser step, so momentum or weight decay cannot revive them; :meth:`MagnitudePruner.make_permanent`
applies the masks a last time and drops them. The weights stay ordinary dense parameters (nothing is
reparametrised), so ``nn.LSTM``'s flattened fused weights keep working; unstructured zeros save disk
after compression but no time on dense kernels: for speed prune whole units (:mod:`.structured`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError
from carrousel.core.train.callbacks import Callback

__all__ = ["MagnitudePruner", "PruneCallback", "default_prunable", "sparsity"]

log = logging.getLogger(__name__)

SCOPES = ("global", "layer")


def default_prunable(name: str, param: nn.Parameter) -> bool:
    """Weight matrices (2-D or more, named ``weight*``); biases, norms, peepholes and embeddings stay."""
    leaf = name.rsplit(".", 1)[-1]
    return param.dim() >= 2 and leaf.startswith("weight") and "embedding" not in name


def sparsity(model: nn.Module, include: Callable[[str, nn.Parameter], bool] = default_prunable) -> float:
    """Fraction of exactly-zero values over the parameters ``include`` selects."""
    zeros = total = 0
    for name, p in model.named_parameters():
        if include(name, p):
            zeros += int((p.detach() == 0).sum())
            total += p.numel()
    return zeros / total if total else 0.0


class MagnitudePruner:
    """Masks the smallest-magnitude weights of a model.

    Args:
        model: any ``nn.Module`` (e.g. a :class:`~carrousel.core.nn.SequenceClassifier`).
        amount: fraction of the chosen weights to prune, in ``[0, 1)``.
        scope: ``"global"`` (one magnitude threshold over all chosen weights) or ``"layer"`` (``amount``
            of each matrix).
        include: ``(name, param) -> bool`` choosing the weights (default: :func:`default_prunable`).

    Raises:
        ConfigError: a bad amount or scope, or no parameter chosen.

    Example:
        >>> pruner = MagnitudePruner(model, 0.8)  # doctest: +SKIP
        >>> Trainer(model, task, cfg, callbacks=[PruneCallback(pruner)]).fit(loader)  # doctest: +SKIP
        >>> pruner.make_permanent()  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        amount: float,
        scope: str = "global",
        include: Callable[[str, nn.Parameter], bool] = default_prunable,
    ) -> None:
        if not 0.0 <= amount < 1.0:
            raise ConfigError(f"amount must be in [0, 1), got {amount}")
        if scope not in SCOPES:
            raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        self.model = model
        self.amount = amount
        self.scope = scope
        self.params: dict[str, nn.Parameter] = {n: p for n, p in model.named_parameters() if include(n, p)}
        if not self.params:
            raise ConfigError("no parameter to prune: the include function chose none")
        self.masks: dict[str, Tensor] = self._compute_masks()
        self.apply()
        log.info("magnitude pruning (%s): %.1f%% of %d weights", scope, 100 * amount, self.total)

    @property
    def total(self) -> int:
        """Number of weights under the masks."""
        return sum(p.numel() for p in self.params.values())

    def _compute_masks(self) -> dict[str, Tensor]:
        with torch.no_grad():
            if self.scope == "layer":
                return {n: _keep_largest(p.abs(), self.amount) for n, p in self.params.items()}
            flat = torch.cat([p.detach().abs().flatten().float().cpu() for p in self.params.values()])
            keep = _keep_largest(flat, self.amount)
            masks, start = {}, 0
            for n, p in self.params.items():
                masks[n] = keep[start : start + p.numel()].view_as(p).to(p.device, p.dtype)
                start += p.numel()
            return masks

    def apply(self) -> None:
        """Zeroes the pruned weights in place (idempotent; call after every optimiser step)."""
        with torch.no_grad():
            for n, p in self.params.items():
                mask = self.masks[n]
                if mask.device != p.device or mask.dtype != p.dtype:
                    mask = self.masks[n] = mask.to(p.device, p.dtype)
                p.mul_(mask)

    def sparsity(self) -> float:
        """Fraction of exactly-zero weights among the masked parameters."""
        zeros = sum(int((p.detach() == 0).sum()) for p in self.params.values())
        return zeros / self.total

    def make_permanent(self) -> nn.Module:
        """Applies the masks a last time and forgets them; returns the model (its weights stay dense)."""
        self.apply()
        self.masks = {}
        self.params = {}
        return self.model


def _keep_largest(values: Tensor, amount: float) -> Tensor:
    """0/1 mask (``values``' dtype) dropping the ``round(amount * n)`` smallest entries, ties by position."""
    n = values.numel()
    k = round(amount * n)
    mask = torch.ones_like(values)
    if k:
        idx = torch.argsort(values.flatten(), stable=True)[:k]
        mask.view(-1)[idx] = 0
    return mask


class PruneCallback(Callback):
    """Trainer callback keeping a :class:`MagnitudePruner`'s weights zero during fine-tuning.

    Args:
        pruner: the pruner whose masks to re-apply after every batch (an optimiser step).
        permanent_at_end: call :meth:`MagnitudePruner.make_permanent` when the fit ends.
    """

    needs_batch_figures = False  # re-masks after the step: the batch's loss is not read for it

    @check_args
    def __init__(self, pruner: MagnitudePruner, permanent_at_end: bool = False) -> None:
        self.pruner = pruner
        self.permanent_at_end = permanent_at_end

    def on_fit_start(self, trainer: Any) -> None:
        """Masks once more in case the weights moved since pruning."""
        self.pruner.apply()

    def on_batch_end(self, trainer: Any, batch_idx: int, logs: dict[str, float]) -> None:
        """Re-applies the masks after the optimiser step."""
        self.pruner.apply()

    def on_fit_end(self, trainer: Any, result: Any) -> None:
        """Masks the final (or restored best) weights; makes them permanent when asked."""
        if self.permanent_at_end:
            self.pruner.make_permanent()
        else:
            self.pruner.apply()

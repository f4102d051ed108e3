"""Regression and forecasting metrics: MAE, RMSE, MAPE, sMAPE, MASE, pinball loss; and perplexity.

All are means of a per-element term over every element seen, so batch-accumulated values equal the
value on all data at once. ``pred`` and ``target`` must have the same shape (any shape); shapes that
only differ by size-1 dimensions, such as ``(N, 1)`` and ``(N,)``, are accepted, anything else raises
:class:`ShapeError` rather than broadcasting silently. NaN inputs give NaN.

MAPE and sMAPE are fractions, not percentages (as in scikit-learn): MAPE is
``mean(|y - p| / max(|y|, eps))`` with ``eps`` the float64 machine epsilon, so a zero target gives a
huge but finite term; sMAPE is ``mean(2 |y - p| / (|y| + |p|))`` in ``[0, 2]`` with ``0/0`` taken as 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.device import wide_float
from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.metrics._base import Metric, Values, as_tensors, value_of

__all__ = [
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanAbsoluteScaledError",
    "MeanSquaredError",
    "Perplexity",
    "PinballLoss",
    "RootMeanSquaredError",
    "SymmetricMeanAbsolutePercentageError",
    "mae",
    "mape",
    "mase",
    "mase_scale",
    "mse",
    "perplexity",
    "pinball_loss",
    "pinball_terms",
    "quantile_levels",
    "rmse",
    "smape",
]

_EPS = float(torch.finfo(torch.float64).eps)


def _pair(pred: Values, target: Values, name: str) -> tuple[Tensor, Tensor]:
    """Checks shapes and returns both flattened, detached, in the accumulation dtype."""
    pred, target = as_tensors(pred, target, name)
    if pred.shape != target.shape and pred.squeeze().shape != target.squeeze().shape:
        raise ShapeError(
            f"{name}: pred shape {tuple(pred.shape)} does not match target shape {tuple(target.shape)}; "
            "pass tensors of the same shape"
        )
    dtype = wide_float(pred.device)
    return pred.detach().reshape(-1).to(dtype), target.detach().reshape(-1).to(pred.device, dtype)


class _MeanOfTerms(Metric):
    """A metric that is ``finish(mean of per-element terms)``; state is the sum of terms and a count."""

    name = "metric"

    def _terms(self, pred: Tensor, target: Tensor) -> Tensor:
        raise NotImplementedError

    def _finish(self, mean: Tensor) -> Tensor:
        return mean

    def update(self, preds: Values, target: Values) -> None:
        """Adds a batch.

        Args:
            preds: predictions, any shape.
            target: true values, the same shape as ``preds``.
        """
        p, t = _pair(preds, target, self.name)
        terms = self._terms(p, t)
        self._add_terms(terms)

    def _add_terms(self, terms: Tensor) -> None:
        self.add("sum", terms.sum())
        self.add("count", torch.tensor(float(terms.numel()), device=terms.device))

    def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        total = self.need(sums, "sum", self.name)
        count = self.need(sums, "count", self.name)
        if float(count) == 0:
            raise DataError(f"{self.name}: no samples were seen; call update() with non-empty tensors")
        return float(self._finish(total / count))


class MeanAbsoluteError(_MeanOfTerms):
    """Mean absolute error ``mean(|p - y|)``."""

    name = "mae"
    higher_is_better = False

    def _terms(self, pred: Tensor, target: Tensor) -> Tensor:
        return (pred - target).abs()


class MeanSquaredError(_MeanOfTerms):
    """Mean squared error ``mean((p - y)^2)``."""

    name = "mse"
    higher_is_better = False

    def _terms(self, pred: Tensor, target: Tensor) -> Tensor:
        return (pred - target).square()


class RootMeanSquaredError(MeanSquaredError):
    """Root mean squared error ``sqrt(mean((p - y)^2))`` over all elements (not a mean of batch RMSEs)."""

    name = "rmse"

    def _finish(self, mean: Tensor) -> Tensor:
        return mean.sqrt()


class MeanAbsolutePercentageError(_MeanOfTerms):
    """Mean absolute percentage error as a fraction: ``mean(|p - y| / max(|y|, eps))`` (scikit-learn's)."""

    name = "mape"
    higher_is_better = False

    def _terms(self, pred: Tensor, target: Tensor) -> Tensor:
        return (pred - target).abs() / target.abs().clamp_min(_EPS)


class SymmetricMeanAbsolutePercentageError(_MeanOfTerms):
    """Symmetric MAPE as a fraction in [0, 2]: ``mean(2 |p - y| / (|p| + |y|))``, with 0/0 taken as 0."""

    name = "smape"
    higher_is_better = False

    def _terms(self, pred: Tensor, target: Tensor) -> Tensor:
        den = pred.abs() + target.abs()
        num = 2.0 * (pred - target).abs()
        return torch.where(den > 0, num / den.clamp_min(_EPS), torch.zeros_like(den))


class MeanAbsoluteScaledError(MeanAbsoluteError):
    """Mean absolute scaled error: MAE divided by a fixed scale, usually the in-sample naive MAE.

    Args:
        scale: the positive scale, e.g. :func:`mase_scale` of the training series.
    """

    name = "mase"

    def __init__(self, scale: float) -> None:
        super().__init__()
        if not (math.isfinite(scale) and scale > 0):
            raise ConfigError(f"mase: scale must be a positive finite number, got {scale}; use mase_scale()")
        self.scale = float(scale)

    def _finish(self, mean: Tensor) -> Tensor:
        return mean / self.scale


def quantile_levels(quantiles: Sequence[float] | Tensor) -> Tensor:
    """The quantile levels of a pinball loss, checked: the one check of :class:`PinballLoss` and
    :func:`carrousel.core.nn.heads.pinball_loss`.

    Args:
        quantiles: the ``Q`` levels, each in ``(0, 1)`` (any order).

    Returns:
        ``(Q,)`` float64 tensor of the levels, on ``quantiles``' device.

    Raises:
        ConfigError: no level, or a level outside ``(0, 1)`` (or NaN).
    """
    q = torch.as_tensor(quantiles, dtype=torch.float64).reshape(-1)
    if q.numel() == 0 or not bool(((q > 0) & (q < 1)).all()):
        raise ConfigError(f"pinball loss: quantiles must be in (0, 1), got {q.tolist()}")
    return q


def pinball_terms(pred: Tensor, target: Tensor, quantiles: Tensor) -> Tensor:
    """The pinball (quantile) loss of every prediction: ``max(q e, (q - 1) e)`` with ``e = target - pred``.

    The one definition of the pinball loss in carrousel: the training loss
    (:func:`carrousel.core.nn.heads.pinball_loss`, differentiable) and the metric (:class:`PinballLoss`)
    both call it.

    Args:
        pred: ``(..., Q)`` predicted quantiles.
        target: ``(...)`` observed values.
        quantiles: ``(Q,)`` levels, on ``pred``'s device and dtype.

    Returns:
        ``(..., Q)`` losses.
    """
    err = target.unsqueeze(-1) - pred
    return torch.maximum(quantiles * err, (quantiles - 1.0) * err)


class PinballLoss(Metric):
    """Pinball (quantile) loss averaged over samples and quantiles.

    For quantile ``q`` and error ``d = y - p`` the loss is ``max(q d, (q - 1) d)``; with one quantile it
    equals scikit-learn's ``mean_pinball_loss(y, p, alpha=q)``, and with several it is the mean of those.

    Args:
        quantiles: the Q quantile levels in (0, 1), in the order of ``preds``' last dimension.
    """

    name = "pinball"
    higher_is_better = False

    def __init__(self, quantiles: Sequence[float] | Tensor) -> None:
        super().__init__()
        self.quantiles = quantile_levels(quantiles)

    def update(self, preds: Values, target: Values) -> None:
        """Adds a batch.

        Args:
            preds: quantile predictions ``(..., Q)``.
            target: true values ``(...)``, ``preds`` without its last dimension.
        """
        preds, target = as_tensors(preds, target, "pinball loss")
        Q = self.quantiles.numel()
        if preds.dim() == target.dim() and Q == 1 and preds.shape == target.shape:
            preds = preds.unsqueeze(-1)
        if preds.shape[-1:] != (Q,) or preds.shape[:-1] != target.shape:
            raise ShapeError(
                f"pinball loss: preds {tuple(preds.shape)} and target {tuple(target.shape)} do not fit "
                f"{Q} quantiles; expected preds (..., {Q}) and target (...)"
            )
        dtype = wide_float(preds.device)
        q = self.quantiles.to(preds.device, dtype)
        terms = pinball_terms(preds.detach().to(dtype), target.detach().to(preds.device, dtype), q)
        self.add("sum", terms.sum())
        self.add("count", torch.tensor(float(terms.numel()), device=terms.device))

    def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        count = self.need(sums, "count", self.name)
        if float(count) == 0:
            raise DataError("pinball loss: no samples were seen; call update() with non-empty tensors")
        return float(sums["sum"] / count)


class Perplexity(_MeanOfTerms):
    """Perplexity ``exp(mean negative log-likelihood)`` over all (non-ignored) targets.

    ``update(logits, target)`` takes logits or log-probabilities ``(..., C)`` and class indices ``(...)``;
    positions whose target equals ``ignore_index`` are skipped. :meth:`update_nll` adds a precomputed
    mean NLL with its count instead.

    Args:
        ignore_index: target value to skip (padding), as in ``torch.nn.functional.cross_entropy``.
    """

    name = "perplexity"
    higher_is_better = False

    @check_args
    def __init__(self, ignore_index: int = -100) -> None:
        super().__init__()
        self.ignore_index = ignore_index

    def update(self, preds: Values, target: Values) -> None:
        """Adds a batch.

        Args:
            preds: logits or log-probabilities ``(..., C)``.
            target: class indices ``(...)`` (integers).
        """
        preds, target = as_tensors(preds, target, "perplexity")
        if preds.dim() != target.dim() + 1 or preds.shape[:-1] != target.shape:
            raise ShapeError(
                f"perplexity: logits {tuple(preds.shape)} and target {tuple(target.shape)} do not fit; "
                "expected logits (..., C) and target (...)"
            )
        if target.is_floating_point():
            raise ShapeError("perplexity: target must hold integer class indices, got a float tensor")
        logits = preds.detach().reshape(-1, preds.shape[-1])
        if logits.dtype in (torch.float16, torch.bfloat16):
            logits = logits.float()
        flat = target.detach().reshape(-1).long()
        keep = flat != self.ignore_index
        nll = F.cross_entropy(logits[keep], flat[keep], reduction="none")
        self._add_terms(nll)

    @check_args
    def update_nll(self, mean_nll: float | Tensor, count: int) -> None:
        """Adds ``count`` targets whose mean negative log-likelihood (natural log) is ``mean_nll``."""
        value = torch.as_tensor(mean_nll, dtype=torch.float64).detach()
        self.add("sum", value * count)
        self.add("count", torch.tensor(float(count), device=value.device))

    def _finish(self, mean: Tensor) -> Tensor:
        return mean.exp()


def mae(pred: Values, target: Values) -> float:
    """Mean absolute error of ``pred`` and ``target`` (same shape)."""
    return value_of(MeanAbsoluteError(), pred, target)


def mse(pred: Values, target: Values) -> float:
    """Mean squared error of ``pred`` and ``target`` (same shape)."""
    return value_of(MeanSquaredError(), pred, target)


def rmse(pred: Values, target: Values) -> float:
    """Root mean squared error of ``pred`` and ``target`` (same shape)."""
    return value_of(RootMeanSquaredError(), pred, target)


def mape(pred: Values, target: Values) -> float:
    """Mean absolute percentage error as a fraction (see :class:`MeanAbsolutePercentageError`)."""
    return value_of(MeanAbsolutePercentageError(), pred, target)


def smape(pred: Values, target: Values) -> float:
    """Symmetric MAPE as a fraction in [0, 2] (see :class:`SymmetricMeanAbsolutePercentageError`)."""
    return value_of(SymmetricMeanAbsolutePercentageError(), pred, target)


def mase(pred: Values, target: Values, scale: float) -> float:
    """Mean absolute scaled error: ``mae(pred, target) / scale``; ``scale`` from :func:`mase_scale`."""
    return value_of(MeanAbsoluteScaledError(scale), pred, target)


@check_args
def mase_scale(insample: Tensor, season: int = 1) -> float:
    """Returns the in-sample MAE of the seasonal naive forecast, the usual MASE scale.

    Args:
        insample: the training series ``(time,)`` or ``(time, ...)``.
        season: the seasonal period ``m``; the naive forecast of ``y[t]`` is ``y[t - m]``.

    Raises:
        DataError: when the series is not longer than ``season``.
    """
    if season < 1:
        raise ConfigError(f"mase_scale: season must be >= 1, got {season}")
    if insample.shape[0] <= season:
        raise DataError(f"mase_scale: the series needs more than {season} steps, got {insample.shape[0]}")
    return mae(insample[season:], insample[:-season])


def pinball_loss(pred: Values, target: Values, quantiles: Sequence[float] | Tensor) -> float:
    """Pinball loss averaged over samples and quantiles.

    Args:
        pred: quantile predictions ``(N, Q)`` (or ``(..., Q)``).
        target: true values ``(N,)`` (or ``(...)``).
        quantiles: the Q quantile levels in (0, 1).
    """
    return value_of(PinballLoss(quantiles), pred, target)


def perplexity(mean_nll: float | Tensor) -> float:
    """Returns ``exp(mean_nll)``, the perplexity of a mean negative log-likelihood in nats."""
    value = float(mean_nll)
    return math.inf if value > 709.0 else math.exp(value)

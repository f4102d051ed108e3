"""Weight averaging: an exponential moving average (Polyak / EMA) of a model's parameters.

The :class:`~carrousel.core.train.Trainer` keeps one when ``TrainConfig.ema_decay`` is above 0: it folds
the weights in after every optimiser step that was not skipped, validates (early stopping, the best model,
the best checkpoint) on the averaged weights while the optimiser keeps stepping the raw ones, saves the
average in its checkpoints (a resume continues it exactly), and leaves the average in the model when the
fit ends (of the best epoch with ``restore_best``, else of the last step).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.errors import ConfigError
from carrousel.core.train.state import state_copy

__all__ = ["WeightAverage"]

logger = logging.getLogger(__name__)


def _averaged_params(model: nn.Module) -> dict[str, nn.Parameter]:
    """The model's floating-point parameters by name (shared ones once): what is averaged."""
    return {name: p for name, p in model.named_parameters() if p.is_floating_point()}


class WeightAverage:
    """Bias-corrected exponential moving average of the parameters, updated after every optimiser step.

    With decay ``d`` and the weights ``w_t`` after step ``t``, the average is the bias-corrected EMA
    ``e_t / (1 - d**t)`` with ``e_t = d * e_(t-1) + (1 - d) * w_t`` and ``e_0 = 0``, computed in its
    equivalent running form ``a_t = a_(t-1) + r_t * (w_t - a_(t-1))``, ``r_t = (1 - d) / (1 - d**t)``:
    ``r_1 = 1``, so the first average is the weights after the first step and the early averages are not
    pulled towards the initialisation. Only floating-point parameters are averaged; buffers (running
    statistics, counters) stay the model's own. The averages live on each parameter's device and in its
    dtype (moved along when the model moves).

    Args:
        decay: ``d`` in [0, 1); 0 keeps the average equal to the weights.

    Example:
        >>> ema = WeightAverage(0.999)  # doctest: +SKIP
        >>> ema.reset(model)  # doctest: +SKIP
        >>> ema.update(model)  # after each optimiser step  # doctest: +SKIP
        >>> with ema.swapped(model):  # evaluate the average  # doctest: +SKIP
        ...     evaluate(model)
    """

    def __init__(self, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ConfigError(f"ema_decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.updates = 0  # optimiser steps averaged so far
        self.shadow: dict[str, Tensor] | None = None  # the averages by parameter name

    def reset(self, model: nn.Module) -> None:
        """Starts the average afresh from the model's current weights (no update counted)."""
        self.shadow = {name: p.detach().clone() for name, p in _averaged_params(model).items()}
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Folds the model's current weights into the average (one optimiser step)."""
        if self.shadow is None:
            self.reset(model)
        assert self.shadow is not None
        self.updates += 1
        rate = (1.0 - self.decay) / (1.0 - self.decay**self.updates)
        for name, p in _averaged_params(model).items():
            avg = self._follow(name, p)
            avg.lerp_(p.detach(), rate)

    def _follow(self, name: str, p: Tensor) -> Tensor:
        assert self.shadow is not None
        avg = self.shadow[name]
        if avg.device != p.device or avg.dtype != p.dtype:
            avg = self.shadow[name] = avg.to(device=p.device, dtype=p.dtype)
        return avg

    @contextlib.contextmanager
    def swapped(self, model: nn.Module) -> Iterator[nn.Module]:
        """Puts the averages into the model's parameters for the ``with`` block, the raw weights back after."""
        if self.shadow is None:
            yield model
            return
        params = _averaged_params(model)
        raw = {name: p.detach().clone() for name, p in params.items()}
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(self._follow(name, p))
        try:
            yield model
        finally:
            with torch.no_grad():
                for name, p in params.items():
                    p.copy_(raw[name])

    def averaged_state(self, model: nn.Module) -> dict[str, Tensor]:
        """A copy of the model's ``state_dict`` holding the averages (buffers as the model has them)."""
        with self.swapped(model):
            return state_copy(model)

    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> None:
        """Writes the averages into the model's parameters for good."""
        if self.shadow is not None:
            for name, p in _averaged_params(model).items():
                p.copy_(self._follow(name, p))

    def state_dict(self) -> dict[str, Any]:
        """The decay, the update count and the averages (saved in the trainer's checkpoints)."""
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores what :meth:`state_dict` returned (the averages move to the model at the next use)."""
        self.decay, self.updates = float(state["decay"]), int(state["updates"])
        self.shadow = dict(state["shadow"]) if state["shadow"] is not None else None

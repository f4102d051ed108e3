"""State dicts compared and copied in tests: two networks' (or one network's before and after) weights."""

from __future__ import annotations

from collections.abc import Mapping

import torch

__all__ = ["same_state", "state_copy"]


def same_state(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> bool:
    """Whether two state dicts hold the same keys, each with an equal tensor (``torch.equal``)."""
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def state_copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of ``model``'s state dict, which later training does not change."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}

"""Pruning of core models: unstructured magnitude masks and structured removal of hidden units.

* :mod:`.magnitude`: :class:`MagnitudePruner` (global or per-layer masks of the smallest weights),
  :class:`PruneCallback` to keep them zero while fine-tuning with the core
  :class:`~carrousel.core.train.Trainer`, then :meth:`MagnitudePruner.make_permanent`.
* :mod:`.structured`: :func:`prune_units` / :func:`prune_encoder_units` return a smaller dense model
  (fewer hidden units, a config saying so) that PyTorch's fused kernels run faster;
  :func:`slice_linear_inputs` for a head that reads the encoder.
* :mod:`.finetune`: :func:`prune_and_finetune`, the pruned variant of every domain export's ``--prune F``
  (units removed, then fine-tuned through the Trainer on the domain's task and data, a diverged
  fine-tuning refused naming :func:`variant_fix` or the caller's fix);
  :func:`carrousel.core.export.check_variant` checks ``--prune F`` against the other variant, ``--distill H``.
"""

from carrousel.core.prune.finetune import PrunedModel, prune_and_finetune, variant_fix
from carrousel.core.prune.magnitude import MagnitudePruner, PruneCallback, default_prunable, sparsity
from carrousel.core.prune.structured import (
    keep_count,
    prune_encoder_units,
    prune_units,
    slice_linear_inputs,
    unit_scores,
)

__all__ = [
    "MagnitudePruner",
    "PruneCallback",
    "PrunedModel",
    "default_prunable",
    "keep_count",
    "prune_and_finetune",
    "prune_encoder_units",
    "prune_units",
    "slice_linear_inputs",
    "sparsity",
    "unit_scores",
    "variant_fix",
]

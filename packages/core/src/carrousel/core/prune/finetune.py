"""A pruned variant of a trained model: whole hidden units removed, then fine-tuned through the Trainer.

:func:`prune_and_finetune` is the one helper behind every domain export's ``--prune F`` (``nlp sentiment
export``, ``bio export``, ``finance export``): :func:`~carrousel.core.prune.structured.prune_units` drops the
share ``F`` of the encoder's units (a smaller *dense* network that the fused kernels and ONNX Runtime run
faster), then :class:`~carrousel.core.train.Trainer` fine-tunes the smaller network with the domain's own
task and data (its training windows with their labels, or a teacher's soft targets through
:class:`~carrousel.core.train.DistillationTask`), with early stopping on the domain's held-out loader. The
summary says what changed: units, parameters, epochs and the held-out figures right after pruning and after
fine-tuning, so a report can show how much the fine-tuning recovered. A diverged fine-tuning is refused
before anything is saved, in core's one line (:func:`~carrousel.core.train.fit_refusing`), naming what the
user can lower: the caller's ``fix``, or :func:`variant_fix` where the learning rate is a fixed constant.

Example:
    >>> pruned = prune_and_finetune(  # doctest: +SKIP
    ...     model, 0.5, MotifTask(), train_loader, val_loader, TrainConfig(epochs=5, patience=2))
    >>> pruned.model, pruned.summary["hidden_size"]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError
from carrousel.core.nn.recurrent import RecurrentConfig, RecurrentEncoder
from carrousel.core.option_names import option
from carrousel.core.prune.structured import prune_units
from carrousel.core.train.callbacks import Callback
from carrousel.core.train.config import TrainConfig
from carrousel.core.train.diverged import check_held_out, fit_refusing
from carrousel.core.train.task import Task
from carrousel.core.train.trainer import Trainer

__all__ = ["PrunedModel", "prune_and_finetune", "variant_fix"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrunedModel:
    """A pruned, fine-tuned network and how it was made.

    Attributes:
        model: the smaller network (on CPU, evaluation mode).
        summary: JSON-ready: ``amount``, ``hidden_size`` and ``parameters`` (``before``/``after``),
            ``epochs``, ``best_epoch``, ``val_pruned`` (held-out figures right after pruning) and
            ``val_finetuned`` (after fine-tuning; both empty without a held-out loader).
    """

    model: nn.Module
    summary: dict[str, Any]


@check_args
def variant_fix(config: TrainConfig, amount: float = 0.0) -> str:
    """The fix a diverged smaller variant names where its learning rate is a constant no option sets (the
    ``--prune F`` fine-tuning and the ``--distill H`` student of bio, nlp and speech): the options that do
    feed its trainer, ``--prune`` (with ``amount``) and ``--finetune-epochs`` (core's line reads "lower
    <fix>"): ``"--prune (now 0.5) or --finetune-epochs (now 5; the learning rate is fixed at 0.001)"``
    in a command, ``prune (now 0.5) or finetune_epochs (now 5; ...)`` to a Python caller.

    Args:
        config: the variant's trainer settings (its ``epochs`` and fixed ``lr``).
        amount: the share of units pruned (0: a distilled student, no ``--prune``).
    """
    pruned = f"{option('prune')} (now {amount:g}) or " if amount else ""
    epochs = option("finetune_epochs")
    return f"{pruned}{epochs} (now {config.epochs}; the learning rate is fixed at {config.lr:g})"


def _figures(logs: Mapping[str, float]) -> dict[str, float | None]:
    return {k: (round(float(v), 6) if math.isfinite(float(v)) else None) for k, v in logs.items()}


def prune_and_finetune(
    model: nn.Module,
    amount: float,
    task: Task,
    train_loader: Any,
    val_loader: Any,
    config: TrainConfig,
    *,
    rebuild: Callable[[RecurrentConfig], nn.Module] | None = None,
    encoder: str = "encoder",
    readers: Mapping[str, int] | None = None,
    callbacks: Sequence[Callback] = (),
    fix: str | None = None,
) -> PrunedModel:
    """Removes the share ``amount`` of ``model``'s hidden units and fine-tunes what is left.

    Args:
        model: the trained model (left unchanged); see :func:`~carrousel.core.prune.prune_units` for the
            models it prunes (``rebuild``, ``encoder`` and ``readers`` are passed to it).
        amount: share of each layer's units to remove, in (0, 1).
        task: the fine-tuning task (the domain's training task, or a :class:`DistillationTask`).
        train_loader: the fine-tuning batches.
        val_loader: held-out batches for early stopping and the summary's figures (None: none).
        config: the trainer's settings (epochs, learning rate, patience, ``restore_best``...).
        rebuild: builds the model around a smaller encoder config.
        encoder: the attribute holding the encoder.
        readers: the weights reading the encoder's output, with the column where it starts.
        callbacks: trainer callbacks (e.g. an epoch logger).
        fix: the setting that a diverged fine-tuning names, as the user gives it (``"[train] lr (now
            1e+30)"``); None: :func:`variant_fix` of ``config`` and ``amount`` (a fixed rate the user cannot
            change).

    Returns:
        The :class:`PrunedModel`.

    Raises:
        ConfigError: ``amount`` outside (0, 1) or a model :func:`prune_units` refuses.
        NonFiniteLossError: the fine-tuning diverged (an optimiser step overflowed the weights, they or the
            held-out loss are NaN or infinite, or the kept held-out loss is far above the pruned network's
            before fine-tuning), in core's one line naming ``fix``.
    """
    if not 0.0 < amount < 1.0:
        raise ConfigError(f"prune amount must be in (0, 1), got {amount}")
    enc = getattr(model, encoder, None)
    before = enc.config.hidden_size if isinstance(enc, RecurrentEncoder) else None
    student = prune_units(model, amount=amount, rebuild=rebuild, encoder=encoder, readers=readers)
    after = getattr(student, encoder).config.hidden_size
    trainer = Trainer(student, task, config, callbacks=list(callbacks))
    val_pruned = _figures(trainer.evaluate(val_loader)) if val_loader is not None else {}
    log.info(
        "pruned %s -> %d units; fine-tuning (held out right after pruning: %s)", before, after, val_pruned
    )
    fix = variant_fix(config, amount) if fix is None else fix
    result = fit_refusing(trainer, train_loader, val_loader, fix)
    tuned = trainer.evaluate(val_loader) if val_loader is not None else {}
    check_held_out(tuned.get("loss", 0.0), result, fix)
    val_tuned = _figures(tuned)
    student = student.cpu().eval()
    summary: dict[str, Any] = {
        "amount": amount,
        "hidden_size": {"before": before, "after": after},
        "parameters": {
            "before": sum(p.numel() for p in model.parameters()),
            "after": sum(p.numel() for p in student.parameters()),
        },
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "val_pruned": val_pruned,
        "val_finetuned": val_tuned,
    }
    log.info(
        "fine-tuned %d epoch(s) (best %s): held out %s", len(result.history), result.best_epoch, val_tuned
    )
    return PrunedModel(student, summary)

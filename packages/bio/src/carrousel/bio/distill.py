"""The distilled variant of ``bio export --distill H``: a DanQ student with ``H`` LSTM units per direction,
trained on the full network's sigmoid outputs over its training windows, with its nulls recomputed; with ``--distill-filters N`` also with only ``N`` convolution filters.

Steps: the training windows are those ``--prune`` fine-tunes on (:func:`~carrousel.bio.prune.finetune_windows`:
``--train-positives``, the model's recorded training files, or its motifs planted as ``bio train --motif``
plants them), split GC-stratified into a training part and a held-out fifth (the held-out AUROC of the
report is on ``--positives/--negatives``, never trained on). The student is the full network's
configuration with ``H`` units, started as the full network with only its ``H`` strongest units per
direction (core's :func:`~carrousel.core.prune.prune_units`, the head's columns reading them sliced): a
student of 8 units trained from scratch, its convolution copied, reached only 0.60 held-out AUROC on the
panel's Oct4/Mafk cell against the full network's 0.74 in 5 epochs (``bio export --distill 8``). With ``--distill-filters N`` the student
also keeps only the full network's ``N`` most important convolution filters (:func:`ablation_scores`: how
much the full network's logits change on training windows when a filter is zeroed; on the panel's held-out
fifth this kept more AUROC than a filter's mean peak activation times the norm of the weights reading it) and
:func:`keep_filters` slices the batch norm, the LSTM's input columns and the head's max-of-filter columns
the same way. It is trained
through the Trainer on core's :class:`~carrousel.core.train.DistillationTask` (``kind="sigmoid"``):
``ALPHA`` times the binary KL divergence at temperature ``TEMPERATURE`` from the full network's
strand-averaged probabilities (:meth:`~carrousel.bio.models.DanQ.predict`, what the exported graph
computes; run on the fly) plus ``1 - ALPHA`` times the binary cross-entropy against the windows' labels,
with reverse-complement augmentation and early stopping on the held-out fifth; a diverged training is
refused before anything is saved, in core's one line (:func:`~carrousel.core.train.fit_refusing`) naming
``--finetune-epochs`` (:data:`LR` is fixed: :func:`~carrousel.core.prune.variant_fix`). Its shuffled (and,
where the full model has one, background) null is then recomputed (:func:`~carrousel.bio.prune.with_nulls`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from carrousel.bio.config import ExportConfig
from carrousel.bio.dna import one_hot
from carrousel.bio.errors import ExportConfigError
from carrousel.bio.models import DanQ, MotifModel
from carrousel.bio.prune import BATCH, VAL_FRACTION, PrunedMotifModel, finetune_windows, with_nulls
from carrousel.bio.task import MotifTask
from carrousel.bio.training import gc_stratified_split, windows_loader
from carrousel.core.args import check_args
from carrousel.core.device import pin_memory_for
from carrousel.core.option_names import option
from carrousel.core.prune import prune_units, variant_fix
from carrousel.core.train import (
    DistillationTask,
    DistillConfig,
    TrainConfig,
    Trainer,
    check_held_out,
    distilled_summary,
    fit_refusing,
)
from carrousel.core.train.inference import evaluating

__all__ = ["ALPHA", "LR", "TEMPERATURE", "ablation_scores", "distilled_model", "keep_filters"]

logger = logging.getLogger(__name__)

ALPHA = 0.5  # weight of the teacher's probabilities against the labels (chosen on the held-out fifth)
TEMPERATURE = 1.0  # of both sigmoids in the soft term (T 2 with alpha 0.7: a lower held-out AUROC)
LR = 1e-3  # the student's learning rate (the pruned variant's fine-tuning rate), cosine schedule
PATIENCE = 2  # epochs without a lower held-out loss before training stops (best epoch kept)


def _teacher_forward(teacher: nn.Module, batch: Any) -> Tensor:
    assert isinstance(teacher, DanQ)
    return teacher.predict(batch[0])  # strand-averaged logits: the same target for either strand


def _figures(figures: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 6) for k, v in figures.items()}


SCORE_WINDOWS = 512  # training windows the filter scores are averaged over (the first, in split order)


def ablation_scores(net: DanQ, x: Tensor) -> Tensor:
    """Importance ``(filters,)`` of each convolution filter: the mean absolute change of ``net``'s logits
    over ``x`` ``(N, 4, W)`` when that filter's activations are zeroed (one pass per filter, evaluation
    mode and no gradients; ``net``'s own mode is back afterwards, an exception included)."""

    def rest(h: Tensor) -> Tensor:
        out = net.rnn(net.pool(h).transpose(1, 2)).output
        return net.head(torch.cat([out.amax(dim=1), h.amax(dim=2)], dim=1))

    with evaluating(net):
        h = net.features(x)
        ref = rest(h)
        scores = torch.zeros(h.shape[1])
        for f in range(h.shape[1]):
            cut = h.clone()
            cut[:, f] = 0.0
            scores[f] = (rest(cut) - ref).abs().mean()
    return scores


@check_args
@torch.no_grad()
def keep_filters(net: DanQ, filters: int, scores: Tensor) -> DanQ:
    """A copy of ``net`` with only its ``filters`` highest-``scores`` convolution filters (in their order),
    and every weight that reads them sliced to those (``net`` is left unchanged)."""
    keep = torch.sort(torch.topk(scores, filters).indices).values
    small = DanQ(replace(net.config, filters=filters)).to(next(net.parameters()).device)
    width = net.rnn.output_size
    head_cols = torch.cat([torch.arange(width), width + keep])
    new_sd: dict[str, Tensor] = {}
    for key, value in net.state_dict().items():
        if key.startswith(("conv.", "norm.")) and value.dim() >= 1:
            value = value[keep]
        elif key.startswith("rnn.") and "weight_ih" in key:
            value = value[:, keep]
        elif key == "head.weight":
            value = value[:, head_cols]
        new_sd[key] = value.clone()
    small.load_state_dict(new_sd)
    small.train(net.training)
    return small


@check_args
def distilled_model(full: MotifModel, cfg: ExportConfig, progress: bool = False) -> PrunedMotifModel:
    """A DanQ student of ``cfg.distill`` LSTM units trained on ``full``'s outputs, with recomputed nulls;
    ``progress``: the trainer's bar on stderr while the student trains (as :func:`~carrousel.bio.pipeline.train`).

    Raises:
        ExportConfigError: see :func:`~carrousel.bio.prune.finetune_windows`.
        NonFiniteLossError: the student's training diverged (core's one line, naming ``--finetune-epochs``).
    """
    data, where = finetune_windows(full, cfg)
    seed = int(full.info.get("seed", 0))
    rng = np.random.default_rng(seed)
    val, train = gc_stratified_split(data.x, data.y, VAL_FRACTION, rng)
    logger.info("distilling on %d windows of %s (%d held out)", train.size, where, val.size)
    teacher = full.model.eval()
    if cfg.distill >= teacher.config.hidden:
        raise ExportConfigError(
            f"{option('distill', cfg.distill)}: the student needs fewer LSTM units than the model's "
            f"{teacher.config.hidden}; give e.g. {option('distill', max(1, teacher.config.hidden // 4))}"
        )
    student = prune_units(  # the teacher's convolution and head, its strongest H units of each direction
        teacher,
        hidden=cfg.distill,
        rebuild=lambda enc: DanQ(replace(teacher.config, hidden=enc.hidden_size)),
        encoder="rnn",
        readers={"head.weight": 0},
    )
    assert isinstance(student, DanQ)
    filters = teacher.config.filters
    if cfg.distill_filters:
        if cfg.distill_filters >= filters:
            raise ExportConfigError(
                f"{option('distill_filters', cfg.distill_filters)}: the student needs fewer filters than the "
                f"model's {filters}; give e.g. {option('distill_filters', max(1, filters // 2))}"
            )
        sample = torch.from_numpy(one_hot(data.x[train[:SCORE_WINDOWS]]))
        student = keep_filters(student, cfg.distill_filters, ablation_scores(teacher, sample))
    tcfg = TrainConfig(
        epochs=cfg.finetune_epochs,
        lr=LR,
        scheduler="cosine",
        device="auto",  # on a GPU where there is one; the student comes back on CPU
        progress=progress,
        seed=seed,
        patience=PATIENCE,
        restore_best=True,
    )
    pin = pin_memory_for(tcfg.device)  # page-locked batches for the trainer's non-blocking copy to CUDA
    train_loader = windows_loader(data.x[train], data.y[train], BATCH, True, seed, pin)
    val_loader = windows_loader(data.x[val], data.y[val], 512, False, seed, pin)
    teacher_val = _figures(Trainer(teacher, MotifTask(), tcfg).evaluate(val_loader))  # before it is frozen
    distill = DistillConfig(TEMPERATURE, ALPHA, kind="sigmoid")
    task = DistillationTask(
        MotifTask(),
        distill,
        teacher=teacher,
        teacher_forward=_teacher_forward,
    )
    trainer = Trainer(student, task, tcfg)
    fix = variant_fix(tcfg)  # the rate is fixed: what --finetune-epochs sets
    result = fit_refusing(trainer, train_loader, val_loader, fix)
    held_out = trainer.evaluate(val_loader)
    check_held_out(held_out["loss"], result, fix, "the student's held-out loss")
    student_val = _figures(held_out)
    student = student.cpu().eval()
    teacher.cpu()  # the task moved it to the batch's device
    summary = {
        "hidden_size": {"before": teacher.config.hidden, "after": cfg.distill},
        "filters": {"before": filters, "after": student.config.filters},
        **distilled_summary(teacher, student, distill, result),
        "val_teacher": teacher_val,  # the full network, labels' loss (BCE) and AUROC on the held-out fifth
        "val_student": student_val,  # the student: distillation loss and AUROC there
    }
    logger.info("distilled %s", summary)
    return with_nulls(full, student, data, val, train, where, rng, "distilled", summary)

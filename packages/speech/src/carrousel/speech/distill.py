"""The distilled variant of ``speech export --distill H``: a student acoustic model with ``H`` LSTM units
per direction, trained on the full model's per-frame CTC posteriors over its training corpus.

Steps: the corpus is the one ``--prune`` fine-tunes on (:func:`~carrousel.speech.prune.finetune_corpus`:
``--train-data`` or the corpora the model records, split as training split it). The student is the full
model's configuration with ``H`` units per direction, started as the full model with only its ``H``
strongest units per layer and direction (core's :func:`~carrousel.core.prune.prune_units`; the next
layer's and the CTC head's input columns sliced, front end and layer norm kept). It is trained through the
Trainer on core's :class:`~carrousel.core.train.DistillationTask` with ``kind="frames"``: ``ALPHA`` times
the per-frame KL divergence at temperature ``TEMPERATURE`` from the full model's posteriors (run on the fly
on the same batch, the same output lengths) averaged over the valid frames only (padding counts nowhere),
plus ``1 - ALPHA`` times the task's own CTC loss (CTC has no per-frame targets); clean audio, early
stopping on the held-out greedy CER, best epoch kept; a diverged training is refused before anything is
saved, in core's one line (:func:`~carrousel.core.train.fit_refusing`) naming ``--finetune-epochs`` (the
rate, :data:`~carrousel.speech.prune.LR`, is fixed: :func:`~carrousel.core.prune.variant_fix`). Alphabet,
front end, feature statistics and word LM stay the full model's.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.nn import RecurrentConfig
from carrousel.core.option_names import option
from carrousel.core.prune import prune_units, variant_fix
from carrousel.core.train import (
    DistillationTask,
    DistillConfig,
    Trainer,
    check_held_out,
    distilled_summary,
    fit_refusing,
)
from carrousel.speech.config import SpeechExportConfig
from carrousel.speech.errors import SpeechConfigError
from carrousel.speech.models import CTCModel
from carrousel.speech.prune import variant_training
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.task import CTCTask

__all__ = ["ALPHA", "TEMPERATURE", "distilled_recognizer"]

logger = logging.getLogger(__name__)

# chosen on the held-out tenth of a synthesised training corpus (shipped model, --distill 80, 5 epochs; README):
# alpha 0.7 / T 1 held-out CER 0.276, 0.5 / 1 0.279, 0.3 / 1 0.285, 0 (CTC only) 0.301, 0.5 / 2 0.299,
# 0.9 / 2 0.321, 1 / 2 0.341, 0.9 / 4 0.377
ALPHA = 0.7  # weight of the teacher's per-frame posteriors against the CTC loss
TEMPERATURE = 1.0  # of both per-frame softmaxes in the soft term


def _teacher_forward(teacher: nn.Module, batch: Any) -> Tensor:
    log_probs, _ = teacher(batch[0], batch[1])
    return log_probs  # type: ignore[no-any-return]


def _figures(figures: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 6) for k, v in figures.items()}


def distilled_recognizer(
    full: Recognizer, provenance: dict[str, Any], cfg: SpeechExportConfig
) -> tuple[Recognizer, dict[str, Any]]:
    """A student of ``cfg.distill`` units per direction trained on ``full``'s per-frame posteriors.

    Returns:
        The student recogniser (same alphabet, front end, statistics and word LM) and a JSON-ready summary:
        units, parameters, alpha, temperature, epochs, the held-out figures of the teacher (CTC loss, CER)
        and of the student (distillation loss, CER), the utterances used and their source.

    Raises:
        SpeechConfigError: a student not smaller than the model.
        CorpusError / AudioError: see :func:`~carrousel.speech.prune.finetune_corpus`.
        NonFiniteLossError: the student's training diverged (core's one line, naming ``--finetune-epochs``).
    """
    teacher = full.model.eval()
    if cfg.distill >= teacher.config.hidden:
        raise SpeechConfigError(
            f"{option('distill', cfg.distill)}: the student needs fewer LSTM units than the model's "
            f"{teacher.config.hidden}; give e.g. {option('distill', max(1, teacher.config.hidden // 2))}"
        )
    run = variant_training(full, provenance, cfg, "distilling")
    loader, val_loader, tcfg, seed = run.loader, run.val_loader, run.config, run.config.seed

    def rebuild(encoder: RecurrentConfig) -> CTCModel:
        return CTCModel(replace(teacher.config, hidden=encoder.hidden_size))

    torch.manual_seed(seed)
    student = prune_units(teacher, hidden=cfg.distill, rebuild=rebuild, readers={"head.weight": 0})
    assert isinstance(student, CTCModel)
    base = CTCTask(full.alphabet)
    teacher_val = _figures(Trainer(teacher, base, tcfg).evaluate(val_loader)) if val_loader else {}
    distill = DistillConfig(TEMPERATURE, ALPHA, kind="frames")
    task = DistillationTask(
        base,
        distill,
        teacher=teacher,
        teacher_forward=_teacher_forward,
        logits=lambda out: out[0],
        lengths=lambda out: out[1],
    )
    trainer = Trainer(student, task, tcfg)
    fix = variant_fix(tcfg)  # the rate is fixed: what --finetune-epochs sets
    result = fit_refusing(trainer, loader, val_loader, fix)
    held_out = trainer.evaluate(val_loader) if val_loader else {}
    check_held_out(held_out.get("loss", 0.0), result, fix, "the student's held-out loss")
    student_val = _figures(held_out)
    student = student.cpu().eval()
    teacher.cpu()  # the task moved it to the batch's device
    summary = {
        "hidden_size": {"before": teacher.config.hidden, "after": cfg.distill},
        **distilled_summary(teacher, student, distill, result),
        "val_teacher": teacher_val,  # the full model: CTC loss and greedy CER on the held-out utterances
        "val_student": student_val,  # the student: distillation loss and greedy CER there
        "utterances": run.utterances,
    }
    logger.info("distilled %s", summary)
    small = Recognizer(student, full.alphabet, full.features, full.mean, full.std, full.lm_text)
    return small, summary

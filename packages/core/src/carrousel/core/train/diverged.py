"""One refusal for a diverged training, in one message shape for every domain.

The trainer skips the steps whose loss or gradient is NaN/inf, not a finite step so large that the weights
(or the activations they make) overflow afterwards, nor a step too large for the weights' float type at all
(an optimiser step of a learning rate near float32's largest value, which PyTorch refuses to take). A
domain checks what it can see (its weights, its held-out loss or outputs) and refuses with
:func:`refuse_diverged`, naming its own fix (``--lr`` or ``[train] lr``); the trainer raises
:class:`StepOverflowError` for the overflowing step, which the domain re-raises naming its fix the same way.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NoReturn

import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.errors import NonFiniteLossError
from carrousel.core.train.result import FitResult

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = ["StepOverflowError", "check_held_out", "finite_parameters", "fit_refusing", "refuse_diverged"]

WEIGHTS = "the network's weights hold NaN or infinite values"  # what finite_parameters refuses, in words


def _message(result: FitResult, what: str, fix: str) -> str:
    """The one line of a diverged training (see :func:`refuse_diverged`)."""
    return (
        f"the training diverged: {what} after {len(result.history)} epoch(s) ({result.skipped_steps} of "
        f"{result.steps} steps skipped for a non-finite loss or gradient); nothing is saved; lower {fix}"
    )


class StepOverflowError(NonFiniteLossError):
    """An optimiser step too large for the weights' float type: the trainer stopped before it.

    Its message names the learning rate generically; a domain catches it and calls
    :func:`refuse_diverged` with :attr:`result` and :attr:`what` to name its own setting.

    Attributes:
        result: the fit up to the step (epochs completed, steps taken and skipped).
        what: the step that overflowed, in words (``"optimiser step 1 overflowed the float32 weights"``).
    """

    def __init__(self, result: FitResult, what: str, lr: float) -> None:
        super().__init__(_message(result, what, f"the learning rate (now {lr:g})"))
        self.result = result
        self.what = what


def finite_parameters(model: nn.Module) -> bool:
    """Whether every parameter of ``model`` is finite (no NaN, no infinity)."""
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def refuse_diverged(result: FitResult, what: str, fix: str) -> NoReturn:
    """Refuses a diverged training, before anything is saved, in one line naming the fix.

    Args:
        result: the trainer's result (its epochs and skipped steps name the damage).
        what: what is NaN or infinite, in words (``"the held-out loss is nan"``).
        fix: the setting to lower as the user gives it, with its value (``"--lr (now 1e+30)"``,
            ``"[train] lr (now 1e+30)"``).

    Raises:
        NonFiniteLossError: always: ``the training diverged: <what> after N epoch(s) (k of m steps
            skipped ...); nothing is saved; lower <fix>``.
    """
    raise NonFiniteLossError(_message(result, what, fix))


@check_args
def fit_refusing(trainer: Trainer, train: Any, val: Any, fix: str, weights: bool = True) -> FitResult:
    """``trainer.fit(train, val)``, a diverged training refused in one line naming ``fix``: an optimiser step
    past the weights' largest value (:class:`StepOverflowError`), and with ``weights`` weights left NaN or
    infinite (the trainer skips the steps whose loss or gradient is not finite, not a finite step large
    enough to overflow them afterwards).

    Args:
        trainer: the trainer of the network.
        train: the training batches.
        val: the held-out batches (None: none).
        fix: the setting to lower as the user gives it (``"--lr (now 1e+30)"``).
        weights: also check the trained weights (False where the caller checks a signal of its own).

    Raises:
        NonFiniteLossError: a diverged training, naming ``fix``.
    """
    try:
        result = trainer.fit(train, val)
    except StepOverflowError as exc:
        refuse_diverged(exc.result, exc.what, fix)
    if weights and not finite_parameters(trainer.model):
        refuse_diverged(result, WEIGHTS, fix)
    return result


def check_held_out(value: float, result: FitResult, fix: str, what: str = "the held-out loss") -> None:
    """Refuses, with :func:`refuse_diverged`, a training whose held-out ``value`` (a loss, a perplexity) is
    NaN or infinite: ``<what> is <value>`` (the trainer skips non-finite steps, not the finite steps of a far
    too large learning rate that make every later forward pass overflow).

    Args:
        value: the held-out figure of the weights that would be saved.
        result: the trainer's result.
        fix: the setting to lower as the user gives it (``"--lr (now 1e+30)"``).
        what: the figure's name in the message.

    Raises:
        NonFiniteLossError: ``value`` is NaN or infinite, in one line naming ``fix``.
    """
    if not math.isfinite(value):
        refuse_diverged(result, f"{what} is {value}", fix)

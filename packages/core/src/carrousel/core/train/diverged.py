"""One refusal for a diverged training, in one message shape for every domain.

The trainer skips the steps whose loss or gradient is NaN/inf, not a finite step so large that the weights
(or the activations they make) overflow afterwards, nor a step too large for the weights' float type at all
(an optimiser step of a learning rate near float32's largest value, which PyTorch refuses to take). A
domain checks what it can see (its weights, its held-out loss or outputs) and refuses with
:func:`refuse_diverged`, naming its own fix (:func:`lr_fix`: ``--lr`` or ``[train] lr`` in a command, ``fit.lr``
or ``train.lr`` to a Python caller); the trainer raises
:class:`StepOverflowError` for the overflowing step, which the domain re-raises naming its fix the same way.

A far too large but finite learning rate can also keep finite weights that are useless: with held-out
batches, :func:`fit_refusing` refuses a kept model whose held-out loss is more than
:data:`UNTRAINED_FACTOR` (10) times the untrained model's, or NaN or infinite where the untrained model's is finite (its initial weights, snapshotted before the fit and
evaluated after it by the trainer's own evaluation, one extra validation pass, RNG states put back). A ratio
of losses is only meaningful for a positive reference: when the untrained model's held-out loss is zero,
negative or not finite, this check is skipped (cross-entropy, BCE, pinball, CTC and the distillation losses
here are positive for any untrained network). A held-out evaluation that fails with a :class:`DataError`
for the trained weights (a metric refusing NaN/inf scores, such as the AUROC) where the untrained model's
evaluates is refused the same way: the network's outputs overflowed, not the data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NoReturn

import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.errors import DataError, NonFiniteLossError
from carrousel.core.option_names import option
from carrousel.core.train.result import FitResult
from carrousel.core.train.seed import get_rng_state, set_rng_state
from carrousel.core.train.state import loader_rng_state, set_loader_rng_state, state_copy

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = [
    "StepOverflowError",
    "check_held_out",
    "finite_parameters",
    "fit_refusing",
    "lr_fix",
    "refuse_diverged",
]

WEIGHTS = "the network's weights hold NaN or infinite values"  # what finite_parameters refuses, in words
UNTRAINED_FACTOR = 10.0  # a kept held-out loss above this many times the untrained model's is a divergence
OUTPUTS = "the held-out evaluation fails for the trained weights, not for the untrained ones"


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


@check_args
def lr_fix(name: str, lr: float, flag: str | None = None) -> str:
    """The fix a diverged training names (core's line reads "lower <fix>"): the learning-rate setting as its
    caller gives it, with its value now; the domain names the setting (core knows none of their names).

    Args:
        name: the setting's Python name (``"fit.lr"``, ``"lr"``, ``"train.lr"``).
        lr: the learning rate the training ran with.
        flag: how a command names it when not ``--`` + the name's last part (``"[train] lr"``, a config file's
            key where no flag sets it).

    Returns:
        ``"--lr (now 1e+30)"`` inside a command, ``"fit.lr (now 1e+30)"`` to a Python caller
        (:func:`~carrousel.core.option_names.option`).
    """
    return f"{option(name, flag=flag)} (now {lr:g})"


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
    past the weights' largest value (:class:`StepOverflowError`), with ``weights`` weights left NaN or
    infinite (the trainer skips the steps whose loss or gradient is not finite, not a finite step large
    enough to overflow them afterwards), and with ``val`` a kept model whose held-out loss is more than
    :data:`UNTRAINED_FACTOR` times the untrained model's, or NaN or infinite beside its finite one (see the module's docstring; losses are
    compared even where the trainer monitors another figure, e.g. an AUROC), and with ``val`` a held-out
    evaluation that raises a :class:`DataError` for the trained weights but not for the untrained ones.

    Args:
        trainer: the trainer of the network.
        train: the training batches.
        val: the held-out batches (None: none).
        fix: the setting to lower as the user gives it (``"--lr (now 1e+30)"``).
        weights: also check the trained weights (False where the caller checks a signal of its own).

    Raises:
        NonFiniteLossError: a diverged training, naming ``fix``.
    """
    initial = state_copy(trainer.model) if val is not None else None  # no RNG drawn, nothing moved
    try:
        result = trainer.fit(train, val)
    except StepOverflowError as exc:
        refuse_diverged(exc.result, exc.what, fix)
    except DataError:  # e.g. an AUROC of NaN/inf held-out scores: the data's fault, or the weights'?
        if initial is not None and _only_trained_fails(trainer, initial, val):
            refuse_diverged(trainer.result(), OUTPUTS, fix)
        raise
    if weights and not finite_parameters(trainer.model):
        refuse_diverged(result, WEIGHTS, fix)
    kept = _kept_loss(trainer, result)
    if initial is not None and kept is not None:
        untrained = _untrained_loss(trainer, initial, val)
        if 0.0 < untrained < math.inf and not kept <= UNTRAINED_FACTOR * untrained:  # NaN refused too
            what = (
                f"the held-out loss {kept:.4g} is more than {UNTRAINED_FACTOR:g}x the untrained model's "
                f"{untrained:.4g}"
                if math.isfinite(kept)
                else f"the held-out loss is {kept} (the untrained model's {untrained:.4g})"
            )
            refuse_diverged(result, what, fix)
    return result


def _kept_loss(trainer: Trainer, result: FitResult) -> float | None:
    """The held-out loss the trainer logged for the weights it kept (the best epoch's with
    ``restore_best``, else the last epoch's), NaN or infinite included; None when none was logged."""
    if not result.history:
        return None
    best = result.best_epoch if trainer.config.restore_best else None
    value = result.history[best - 1 if best else -1].get("val_loss")
    return None if value is None else float(value)


def _untrained_loss(trainer: Trainer, initial: dict[str, torch.Tensor], val: Any) -> float:
    """The held-out loss of ``initial`` weights through :meth:`Trainer.evaluate`; the kept weights and
    every RNG state (global and the loader's own) are put back afterwards."""
    model = trainer.model
    kept, rng, loader_rng = state_copy(model), get_rng_state(), loader_rng_state(val)
    try:
        model.load_state_dict(initial)
        return float(trainer.evaluate(val)["loss"])
    finally:
        model.load_state_dict(kept)
        set_rng_state(rng)
        set_loader_rng_state(val, loader_rng)


def _only_trained_fails(trainer: Trainer, initial: dict[str, torch.Tensor], val: Any) -> bool:
    """Whether the held-out evaluation raises a :class:`DataError` for the weights the fit stopped at and
    not for ``initial`` ones (both evaluated as :func:`_untrained_loss` does, everything put back)."""
    try:
        trainer.evaluate(val)
    except DataError:
        try:
            _untrained_loss(trainer, initial, val)
        except DataError:
            return False  # the untrained model's fails too: the data's fault
        return True
    return False


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

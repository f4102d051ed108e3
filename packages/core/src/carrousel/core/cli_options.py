"""The options several domain commands share, declared once so that their flag, help and checks agree
(needs the ``carrousel-core[cli]`` extra; re-exported by :mod:`carrousel.core.cli`).

- the ``export`` commands: ``--precision`` (ONNX fp32/int8), ``--exporter``, ``--prune``, ``--distill``,
  ``--finetune-epochs`` (refused without ``--prune`` or ``--distill``: :func:`refuse_idle_finetune`; with a
  ``--config`` file that may set them, :func:`check_idle_finetune` run by ``cli_merged.refuse_merged``);
- whether the command line typed an option (:func:`typed`), for a check of one that would do nothing;
- every train command's ``--epochs`` (:func:`epochs_option`, with the command's own help);
- the commands that run a network: ``--precision`` (fp32, or bf16/fp16 autocast);
- the train commands: ``--precision``, the trainer's autocast (mixed-precision training), to be checked
  with :func:`carrousel.core.device.check_precision` before any work. :data:`TrainPrecisionOrConfig` is
  the same option for a command whose ``--config`` file may set the precision: None when the flag is
  absent, so the file's value holds.
"""

from __future__ import annotations

from typing import Annotated, Any

from carrousel.core.args import check_args
from carrousel.core.config import MAX_EPOCHS
from carrousel.core.export.choices import DeployPrecision, Exporter, InferencePrecision
from carrousel.core.optional import missing_extra

try:  # the carrousel-core[cli] extra
    import typer
except ImportError as e:
    raise missing_extra(
        e, "typer", "carrousel-core[cli]", "the CLI options (carrousel.core.cli_options)"
    ) from None

__all__ = [
    "DistillHidden",
    "ExportPrecision",
    "ExportWith",
    "FinetuneEpochs",
    "PruneShare",
    "RunPrecision",
    "TrainPrecision",
    "TrainPrecisionOrConfig",
    "check_idle_finetune",
    "epochs_option",
    "refuse_idle_finetune",
    "typed",
]

ExportPrecision = Annotated[
    DeployPrecision,
    typer.Option("--precision", help="ONNX numbers: fp32, or int8 (the domain picks the nodes)."),
]
ExportWith = Annotated[Exporter, typer.Option("--exporter", help="PyTorch's ONNX exporter.")]
_PRUNE_HELP = "Share of the recurrent units to remove before export (e.g. 0.5), then fine-tune (0: none)."
PruneShare = Annotated[float, typer.Option("--prune", min=0.0, max=0.95, help=_PRUNE_HELP)]
_DISTILL_HELP = "Hidden units of a student trained on the model's own outputs, exported instead (0: none)."
DistillHidden = Annotated[int, typer.Option("--distill", min=0, max=4096, help=_DISTILL_HELP)]
_EPOCHS_HELP = "--prune: most fine-tuning epochs; --distill: the student's (early stopping)."
FinetuneEpochs = Annotated[int, typer.Option("--finetune-epochs", min=1, max=MAX_EPOCHS, help=_EPOCHS_HELP)]
RunPrecision = Annotated[InferencePrecision, typer.Option("--precision", help="fp32, or bf16/fp16 autocast.")]
_TRAIN_HELP = "Training arithmetic: fp32, or bf16/fp16 mixed precision (autocast; weights stay float32; fp16 needs a GPU)."
TrainPrecision = Annotated[InferencePrecision, typer.Option("--precision", help=_TRAIN_HELP)]
TrainPrecisionOrConfig = Annotated[
    InferencePrecision | None,
    typer.Option("--precision", help=f"{_TRAIN_HELP}  [default: fp32, or the --config file's]"),
]


def epochs_option(help: str) -> Any:
    """The ``--epochs`` option's typer ``Option``: 1 to :data:`~carrousel.core.config.MAX_EPOCHS`, a usage
    error (exit 2) naming the flag outside that, as every ``epochs`` field checks the same bound.

    Args:
        help: the command's help line (what an epoch is there, its default).
    """
    return typer.Option("--epochs", min=1, max=MAX_EPOCHS, help=help)


def typed(ctx: typer.Context, name: str) -> bool:
    """Whether the command line gave parameter ``name`` (not its default, nor a ``--config`` file's setting)."""
    return getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"  # typer's own click


@check_args
def refuse_idle_finetune(ctx: typer.Context, prune: float, distill: int) -> None:
    """A usage error for ``--finetune-epochs`` typed without ``--prune`` (``prune`` 0) or ``--distill``
    (``distill`` 0), the training it sets: it would be ignored without a word.

    Raises:
        typer.BadParameter: that one line.
    """
    check_idle_finetune(typed(ctx, "finetune_epochs"), prune, distill, typer.BadParameter)


@check_args
def check_idle_finetune(given: bool, prune: float, distill: int, error: type[Exception]) -> None:
    """The rule of :func:`refuse_idle_finetune`, for a command whose ``--config`` file may set any of the
    three (:func:`carrousel.core.cli_merged.refuse_merged`): ``given``, whether the fine-tuning epochs
    were given (typed, or set by the file; never their default).

    Raises:
        error: that one line.
    """
    if given and prune == 0 and not distill:
        raise error("--finetune-epochs is for --prune or --distill (their training); add one or drop it")

"""Option types and helpers shared by the nlp commands."""

from __future__ import annotations

import enum
from contextlib import AbstractContextManager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from carrousel.core.cli import Above, Below, TrainPrecisionOrConfig, echo, emit_json
from carrousel.core.cli_config import Table, flag_or_file, read_tables, settings_block
from carrousel.core.cli_device import DeviceOption, device_option
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.cli_values import OutputFolder
from carrousel.core.config import TomlDocument, read_toml
from carrousel.core.errors import ConfigError
from carrousel.core.export.choices import InferencePrecision
from carrousel.core.option_names import file_key
from carrousel.core.provenance import precision_words
from carrousel.nlp.config import FitConfig
from carrousel.nlp.train_record import TOP_TABLE, top_table

if TYPE_CHECKING:
    from carrousel.core.provenance import PrecisionReport
    from carrousel.nlp.pipeline.sentiment import SentimentPrediction
    from carrousel.nlp.pipeline.translate_types import Translation

__all__ = [
    "CONTEXT",
    "JSON_PLACES",
    "BpeDropout",
    "Cell",
    "ConfigFile",
    "Device",
    "EmaDecay",
    "ExportOut",
    "FitPrecision",
    "HeldOut",
    "JsonFlag",
    "Pooling",
    "RunByDefault",
    "TestShare",
    "TokenizerKind",
    "TrainDevice",
    "ValidShare",
    "blank_prediction",
    "fit_settings",
    "group",
    "inputs_or_config",
    "print_evaluation",
    "rounded_prediction",
    "rounded_translation",
    "train_summary_shown",
    "train_tables",
]

JSON_PLACES = 4  # decimals of the scores and probabilities in --json (as speech's confidences)

# shares and chances in [0, 1) or (0, 1): a bad one is a usage error naming the flag and the range
_BPE_HELP = "BPE-dropout of the training pairs: each merge skipped with this chance (0: off) [default: 0]."
ExportOut = Annotated[
    Path, typer.Option("--out", "-o", help="Folder of the exported model to write."), OutputFolder()
]
BpeDropout = Annotated[float | None, typer.Option(min=0.0, help=_BPE_HELP), Below(1.0)]
ValidShare = Annotated[  # above 0: early stopping and the kept epoch go by the validation loss
    float | None, typer.Option(help="Validation share [default: 0.05]."), Above(0.0), Below(1.0)
]
TestShare = Annotated[
    float | None, typer.Option(min=0.0, help="Held-out test share [default: 0.05]."), Below(1.0)
]
_HELD_HELP = "Held out for early stopping [default: 0.1]."
_EMA_HELP = "Weight averaging: EMA decay per step; validation and the saved model use the average (0: off) [default: 0]."
EmaDecay = Annotated[float | None, typer.Option(min=0.0, help=_EMA_HELP), Below(1.0)]
HeldOut = Annotated[float | None, typer.Option(help=_HELD_HELP), Above(0.0), Below(1.0)]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


class RunByDefault(TyperGroup):
    """A group whose first argument, when it names no command (nor ``-h``), starts ``run``.

    So ``nlp translate --model DIR "text"`` is ``nlp translate run --model DIR "text"`` and
    ``nlp generate --model DIR --prompt "..."`` is ``nlp generate run ...``. A first word that is not an
    option goes to ``run`` only when ``run`` takes positional arguments; otherwise it stays an unknown
    command (a usage error naming it).
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: click's Context
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            run = self.commands["run"]
            takes_words = any(p.param_type_name == "argument" for p in run.params)
            if args[0].startswith("-") or takes_words:
                args = ["run", *args]
        return super().parse_args(ctx, args)


def group(name: str, help: str, run_by_default: bool = False) -> typer.Typer:
    """A sub-command group with the program's conventions (``-h``, help when run without a command);
    ``run_by_default``: arguments that name no command go to its ``run`` command (:class:`RunByDefault`)."""
    return typer.Typer(
        name=name,
        help=help,
        cls=RunByDefault if run_by_default else None,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings=CONTEXT,
    )


class TokenizerKind(enum.StrEnum):
    """Tokenizer levels."""

    bpe = "bpe"
    unigram = "unigram"
    word = "word"
    char = "char"


class Pooling(enum.StrEnum):
    """Pooling over valid tokens."""

    attention = "attention"
    mean = "mean"
    last = "last"
    max = "max"


class Cell(enum.StrEnum):
    """Recurrent cells."""

    lstm = "lstm"
    gru = "gru"


class Teacher(enum.StrEnum):
    """Frozen sentence encoders to distil from."""

    minilm = "minilm"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as strict JSON on stdout.")]
ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file of defaults (its tables mirror the config); flags win."),
]
Device = DeviceOption
# train: None when not given, so that a --config file's [fit] device is kept
TrainDevice = Annotated[str | None, device_option("auto")]
# train: None when not given, so that a --config file's [fit] precision is kept
FitPrecision = TrainPrecisionOrConfig


def fit_settings(
    precision: InferencePrecision | None, config: Path | None, held: dict[str, str] | None = None
) -> AbstractContextManager[None]:
    """The block a train run runs in (core's :func:`~carrousel.core.cli_config.settings_block`): its
    precision checks name the ``--precision`` flag, or ``[fit] precision`` in ``--config`` when the file set
    it, and each setting of ``held`` the file gave is named as the file holds it, not by a flag never typed."""
    return settings_block(precision is not None, config, "[fit] precision", held)


def _shown(value: float | None, why: str) -> str:
    return f"{value:.3f}" if value is not None else f"n/a ({why})"


def print_evaluation(r: Any) -> None:
    """The text report of ``nlp sentiment evaluate`` (``r``: its ``SentimentEvaluation``)."""
    auc = f"{r.roc_auc:.3f}" if r.roc_auc is not None else "n/a (a class is absent)"
    dropped = f" ({r.dropped} dropped by the label reading: their labels map to '-')" if r.dropped else ""
    echo(f"texts      {r.rows}{dropped}")
    if r.label_map_text:  # as --label-map reads it: pasted back, the same rows and metrics
        echo(f"labels     data read as the model's: {r.label_map_text}")
    echo(f"accuracy   {r.accuracy:.3f} (majority class: {r.majority_accuracy:.3f})")
    of = f"binary, of class {r.labels[-1]}" if r.average == "binary" else r.average  # the second label's
    absent = r.classes_absent
    if r.average != "binary" and absent:  # the undefined recall of a class without a row is not counted 0
        of += f" over the classes present; no {', '.join(absent)} row"
    echo(f"precision  {_shown(r.precision, 'nothing predicted ' + r.labels[-1])} ({of})")
    echo(f"recall     {_shown(r.recall, 'no ' + r.labels[-1] + ' row')}")
    echo(f"F1         {_shown(r.f1, 'no ' + r.labels[-1] + ' row')}")
    if r.average == "binary" and r.macro_f1 is not None:  # on a 99:1 set the binary F1 alone can mislead
        alike = "both classes weighed alike"
        if absent:  # one class has rows: its F1 alone
            alike = f"{next(x for x in r.labels if x not in absent)} alone: no {absent[0]} row"
        echo(f"macro F1   {r.macro_f1:.3f} ({alike})")
    echo(f"ROC-AUC    {auc}")
    if r.log_loss is not None:  # how far the probabilities can be taken at their word (lower is better)
        echo(f"calibration log loss {r.log_loss:.3f}, Brier {r.brier:.3f}, ECE {r.ece:.3f}")
    echo(f"model      {precision_words(r.trained_precision, r.inference_precision)}")
    width = max(len(label) for label in r.labels)
    echo("confusion  (rows: true, columns: predicted)")
    echo("  " + " " * width + "  " + "  ".join(f"{label:>{max(width, 6)}}" for label in r.labels))
    for label, row in zip(r.labels, r.confusion, strict=True):
        echo(f"  {label:>{width}}  " + "  ".join(f"{n:>{max(width, 6)}}" for n in row))
    for path in r.files:
        echo(f"wrote      {path}")


def rounded_prediction(p: SentimentPrediction, precisions: PrecisionReport) -> dict[str, Any]:
    """``p`` as ``--json`` shows it: its probabilities to :data:`JSON_PLACES` decimals, then ``precisions``
    (the model's ``trained_precision`` and the run's ``precision``, :meth:`SentimentModel.precisions`)."""
    shown = asdict(p)
    if shown["unknown_words_mapped"] is None:  # a model without the OOV fallback: as before it existed
        del shown["unknown_words_mapped"]
    return {
        **shown,
        "probabilities": {k: round(v, JSON_PLACES) for k, v in p.probabilities.items()},
        **precisions,
    }


def blank_prediction(precisions: PrecisionReport) -> dict[str, Any]:
    """``predict --json``'s entry for a blank line of ``--file``: the keys of :func:`rounded_prediction`'s,
    ``label`` null, no probabilities, tokens or sentences (no model call), so the entries line up with the
    file's lines as ``translate run``'s do."""
    from carrousel.nlp.pipeline.sentiment import SentimentPrediction  # the pipeline: only when predicting

    return {**rounded_prediction(SentimentPrediction("", "", {}, sentences=0), precisions), "label": None}


def rounded_translation(t: Translation) -> Translation:
    """``t`` as ``--json`` shows it: its score and nll to :data:`JSON_PLACES` decimals."""
    return replace(t, score=round(t.score, JSON_PLACES), nll=round(t.nll, JSON_PLACES))


def inputs_or_config(
    typed: list[Path] | None, config: Path | None, field: str, name: str, message: str
) -> tuple[TomlDocument | None, tuple[str, ...], dict[str, str]]:
    """A train command's input files: those typed (they win), else the ``--config`` file's ``field``
    (``"data.pairs"``: ``[data] pairs``); neither is a usage error (``message``). Returns the file's document
    (read once), the typed files (empty when the file's stand in) and, when the file's stand in, how its
    messages name the setting ``name`` (for ``settings_from_file``: not by a flag never typed), else {}."""
    files = tuple(str(p) for p in typed or ())
    doc = read_toml(config) if config is not None else None
    in_file = flag_or_file(bool(files), doc, field, message, typer.BadParameter)
    return doc, files, {name: file_key(field, config) + ":"} if in_file and config else {}


def train_tables(
    config: Path | TomlDocument | None,
    parts: dict[str, type[Any]],
    extra: dict[str, dict[str, Any]] | None,
    train: type[Any],
) -> dict[str, Table[Any] | None]:
    """A train command's ``--config`` tables: ``parts`` (``[data]``, ``[tokenizer]``, ``[model]``), ``[fit]``
    and ``[train]``, the fields of the train config ``train`` outside those tables (``members``, ``bptt``...),
    so that every train flag can be set in the file and the ``config`` a bundle records reads back.
    ``[fit] progress`` is refused in one line: the bars are the display, not a setting (``-q`` hides them)."""
    tables = read_tables(config, {**parts, "fit": FitConfig, TOP_TABLE: top_table(train)}, extra)
    fit = tables["fit"]
    if fit is not None and "progress" in fit.given:
        where = config.source if isinstance(config, TomlDocument) else config
        raise ConfigError(
            f"[fit] progress in {where}: the progress bars are not a training setting and the command "
            "sets them; leave it out (-q / --quiet hides them)"
        )
    return tables


def train_summary_shown(result: Any, as_json: bool) -> bool:
    """Whether a train command goes on to print its summary lines: ``--json`` prints ``result`` instead, and
    ``-q`` nothing (:func:`~carrousel.core.cli_outputs.summary_hidden`: bundle.json's provenance, ``config``
    and ``train``, holds every figure)."""
    if as_json:
        emit_json(result)
        return False
    return not summary_hidden(True)

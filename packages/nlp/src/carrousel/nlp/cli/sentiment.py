"""``nlp sentiment train|predict|evaluate|export`` (train's flags and config: :mod:`._sentiment_train`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from carrousel.core.cli import (
    ExportPrecision,
    ExportWith,
    PruneShare,
    RunPrecision,
    bars_on,
    command,
    echo,
    emit_json,
    print_deployment,
    typed,
)
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.cli_values import JsonListWriter, NonBlank, OutputFolder
from carrousel.core.config import MAX_EPOCHS
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.nlp.cli._common import (
    Device,
    ExportOut,
    JsonFlag,
    blank_prediction,
    group,
    print_evaluation,
    rounded_prediction,
)
from carrousel.nlp.cli._sentiment_data import (
    Data,
    Header,
    LabelCol,
    Split,
    TextCol,
    data_config,
)
from carrousel.nlp.cli._sentiment_options import (
    LabelMap,
    LongReading,
    LongTexts,
    Model,
    UnkOverride,
    checked_label_map,
    evaluate_mapped,
    map_misfit_is_usage,
)
from carrousel.nlp.cli._sentiment_train import train
from carrousel.nlp.config import (
    SentimentEvaluateConfig,
    SentimentExportConfig,
    SentimentPredictConfig,
)

if TYPE_CHECKING:
    from carrousel.core.provenance import PrecisionReport

__all__ = ["sentiment_app"]

PREDICT_BLOCK_BATCHES = 16  # predict --file: batches per block of texts classified, then written out


sentiment_app = group(
    "sentiment", "Sentiment analysis: train a BiLSTM classifier, predict, evaluate, export to ONNX."
)


command(sentiment_app, "train", quiet_with="out")(train)  # first in the group's help, as before


@command(sentiment_app, "predict")
def predict(
    model: Model = None,
    texts: Annotated[
        list[str] | None, typer.Argument(help="Texts to classify.", show_default=False), NonBlank()
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="File of texts, one per line (- reads stdin; not UTF-8: Windows-1252; a blank line: an empty "
            "row), or a table (CSV, TSV, JSONL, Parquet): its text column.",
        ),
    ] = None,
    text_col: TextCol = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per forward pass.")] = 64,
    max_length: Annotated[
        int | None, typer.Option(min=1, help="Tokens kept per text (default: the model's).")
    ] = None,
    device: Device = "cpu",
    precision: RunPrecision = InferencePrecision.FP32,
    unk: UnkOverride = None,
    long: LongReading = LongTexts.truncated,
    as_json: JsonFlag = False,
) -> None:
    """Classify texts given as arguments or in a file (one per line)."""
    from carrousel.nlp.data import is_table, read_column, read_lines, warn_truncated
    from carrousel.nlp.pipeline import common
    from carrousel.nlp.pipeline.sentiment import SentimentModel
    from carrousel.nlp.text_checks import warn_unread

    if not texts and file is None:
        raise typer.BadParameter("give texts as arguments or --file FILE")
    cfg = SentimentPredictConfig(
        str(model) if model else None,
        batch_size,
        max_length,
        device,
        precision.value,
        unk and unk.value,
        long.value,
    )
    table = file if file is not None and str(file) != "-" and is_table(file) else None
    if text_col and table is None:
        raise typer.BadParameter("--text-col reads a table: give --file as CSV, TSV, JSONL or Parquet")
    if table is not None:  # a table's rows: its text column, as --data reads it (a header line is no text)
        lines = read_column(table, text_col or "text")
    else:  # all checked first; read as --data; a blank line: an empty row, as translate run keeps it
        lines = read_lines(file, blanks=True, entities=True) if file is not None else []  # "&#8203;": warned
    inputs = list(texts or []) + lines
    classify = SentimentModel.from_pretrained(cfg.model, cfg.device, cfg.precision, cfg.unk)
    block = cfg.batch_size * PREDICT_BLOCK_BATCHES  # written block by block: memory stays bounded
    precisions = classify.precisions()
    listing = None
    if as_json:  # an object, as every --json (until 2026-12 a bare list): the entries under "predictions"
        listing = JsonListWriter(
            lambda text: echo(text, nl=False), within=dict(precisions), key="predictions"
        )
    cut, unread = 0, list[int]()
    for at in range(0, len(inputs), block):  # warned once at the end, the texts numbered from the first
        part = inputs[at : at + block]
        kept = [t for t in part if t]  # a blank line (read_lines gives ""): no model call
        read = iter(classify(kept, cfg.batch_size, cfg.max_length, warn=False, long=cfg.long) if kept else [])
        for i, text in enumerate(part, at):
            if not text:  # one row per line: the outputs line up with the file's lines
                _blank_row(listing, precisions)
                continue
            p = next(read)
            cut += p.truncated
            unread += [i] if p.unknown_only else []
            if listing is not None:
                listing.add(rounded_prediction(p, precisions))
                continue
            text = " ".join(p.text.split())
            echo(f"{p.label}\t{p.probabilities[p.label]:.3f}\t{text[:100] + ('...' * (len(text) > 100))}")
    if listing is not None:
        listing.close()
    if cut:
        warn_truncated(cut, len(inputs), common.token_limit(cfg.max_length, classify.max_length))
    warn_unread(unread, len(inputs))


def _blank_row(listing: JsonListWriter | None, precisions: PrecisionReport) -> None:
    """A blank line of ``--file``: an empty line, or in ``--json`` an entry with ``label`` null."""
    if listing is not None:
        listing.add(blank_prediction(precisions))
    else:
        echo("")


@command(sentiment_app, "evaluate", quiet_with="out")
def evaluate(
    model: Model = None,
    data: Data = None,
    text_col: TextCol = None,
    label_col: LabelCol = None,
    split: Split = None,
    header: Header = None,
    label_map: LabelMap = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder for metrics.json and the PNG charts confusion.png and attention.png (these need "
            "matplotlib: left out, with a warning, without it).",
        ),
        OutputFolder(),
    ] = None,
    example: Annotated[int, typer.Option(min=1, help="Text (from 1) whose attention is drawn.")] = 1,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per forward pass.")] = 64,
    device: Device = "cpu",
    precision: RunPrecision = InferencePrecision.FP32,
    unk: UnkOverride = None,
    long: LongReading = LongTexts.truncated,
    as_json: JsonFlag = False,
) -> None:
    """Score a model on labelled texts: accuracy, precision, recall, F1, ROC-AUC, confusion matrix, calibration."""
    cfg = SentimentEvaluateConfig(
        str(model) if model else None,
        data_config(None, data, text_col, label_col, split, header, None),
        batch_size,
        device,
        example - 1,
        precision.value,
        checked_label_map(label_map),
        unk and unk.value,
        long.value,
    )
    r = evaluate_mapped(cfg, out)
    if as_json:
        emit_json(r)
    elif not summary_hidden(out is not None):  # -q: --out's metrics.json holds the report
        print_evaluation(r)


@command(sentiment_app, "export", quiet_with="out")
def export(
    ctx: typer.Context,
    out: ExportOut,
    model: Model = None,
    precision: ExportPrecision = DeployPrecision.INT8,
    exporter: ExportWith = Exporter.TORCHSCRIPT,
    data: Data = None,
    text_col: TextCol = None,
    label_col: LabelCol = None,
    split: Split = None,
    header: Header = None,
    label_map: LabelMap = None,
    prune: PruneShare = 0.0,
    unlabelled: Annotated[
        list[Path] | None,
        typer.Option(
            "--unlabelled",
            metavar="FILE",
            help="--prune: texts, one per line (no labels), on which the pruned model learns the full one's outputs.",
        ),
    ] = None,
    finetune_epochs: Annotated[
        int,
        typer.Option(
            "--finetune-epochs",
            min=1,
            max=MAX_EPOCHS,
            help="--prune: most fine-tuning epochs (early stopping). A smaller student trained on the full "
            "model's outputs is what --prune already does here: its units start as the strongest ones.",
        ),
    ] = SentimentExportConfig.finetune.epochs,
    as_json: JsonFlag = False,
) -> None:
    """Model with its network as ONNX (fp32/int8), optionally pruned and fine-tuned first; prints size,
    latency and accuracy before and after."""
    from carrousel.nlp.pipeline.deploy import export_sentiment

    if unlabelled and prune == 0.0:
        raise typer.BadParameter("--unlabelled is for --prune (the texts the pruned model is fine-tuned on)")
    if typed(ctx, "finetune_epochs") and prune == 0.0:  # as bio, finance and speech export refuse it
        raise typer.BadParameter("--finetune-epochs is for --prune (its fine-tuning); add --prune or drop it")
    labelled = data_config(None, data, text_col, label_col, split, header, None) if data else None
    cfg = SentimentExportConfig(
        str(model) if model else None,
        labelled,
        precision.value,
        exporter.value,
        prune=prune,
        unlabelled=tuple(str(p) for p in unlabelled or ()),
        finetune=replace(SentimentExportConfig.finetune, epochs=finetune_epochs, progress=bars_on()),
        label_map=checked_label_map(label_map),
    )
    with map_misfit_is_usage():
        report = export_sentiment(cfg, out)
    if as_json:
        emit_json(report.summary())
        return
    print_deployment(report.summary())

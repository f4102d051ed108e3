"""``nlp translate train|run|evaluate``: LSTM encoder-decoder translation with attention."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from carrousel.core.cli import (
    ExportPrecision,
    ExportWith,
    RunPrecision,
    command,
    echo,
    emit_json,
    print_deployment,
)
from carrousel.core.cli_outputs import check_plot_option, plots_written
from carrousel.core.cli_values import JsonListWriter
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.nlp.cli import _common as shares
from carrousel.nlp.cli._common import Device, JsonFlag, group
from carrousel.nlp.cli._translate_options import (
    AttentionPlot,
    BatchSize,
    Beam,
    BleuPlot,
    BleuTokenize,
    BlockNgram,
    CopyUnknown,
    Coverage,
    Ensemble,
    FallbackClauses,
    FallbackNll,
    LengthPenalty,
    LexicalBias,
    Mbr,
    MbrConfidence,
    MbrCopy,
    MbrDictionary,
    MbrTemperature,
    Model,
    Pairs,
    PoIn,
    PoOut,
    RunFile,
    RunTexts,
    Split,
    UsageCommands,
    UsageDictionary,
)
from carrousel.nlp.cli._translate_po import fill_catalogue, po_output
from carrousel.nlp.cli._translate_train import train
from carrousel.nlp.config import (
    DecodeConfig,
    TranslateEvaluateConfig,
    TranslateExportConfig,
)

__all__ = ["translate_app"]

RUN_BLOCK_BATCHES = 16  # run --file: batches per block of texts translated, then written out

if TYPE_CHECKING:
    from carrousel.nlp.pipeline.translate_types import Translation


translate_app = group(
    "translate",
    "Machine translation: train a BiLSTM encoder-decoder with attention, translate ('run', also "
    "'nlp translate --model DIR TEXT'), score BLEU/chrF, export to ONNX.",
    run_by_default=True,
)
command(translate_app, "train", quiet_with="out")(train)  # first in the group's help, as before


@command(translate_app, "run", quiet_with="out")  # -q --po P -o FILE: nothing printed
def run(
    model: Model,
    texts: RunTexts = None,
    file: RunFile = None,
    po: PoIn = None,
    out: PoOut = None,
    beam: Beam = 5,
    length_penalty: LengthPenalty = 1.0,
    coverage_penalty: Coverage = 0.0,
    block_ngram_repeat: BlockNgram = 5,
    copy_unknown: CopyUnknown = False,
    lexical_bias: LexicalBias = 0.0,
    fallback_nll: FallbackNll = 0.8,
    mbr: Mbr = True,
    mbr_temperature: MbrTemperature = 1.0,
    mbr_dictionary: MbrDictionary = 0.5,
    mbr_copy: MbrCopy = 0.25,
    mbr_confidence: MbrConfidence = 0.0,
    fallback_clauses: FallbackClauses = False,
    usage_dictionary: UsageDictionary = False,
    usage_commands: UsageCommands = True,
    ensemble: Ensemble = None,
    batch_size: BatchSize = 64,
    plot: AttentionPlot = None,
    device: Device = "cpu",
    precision: RunPrecision = InferencePrecision.FP32,
    as_json: JsonFlag = False,
) -> None:
    """Translate texts given as arguments, then the lines of --file (either or both; one output each, in that
    order; --json adds the attention weights), or fill a gettext catalogue's untranslated messages (--po)."""
    from carrousel.nlp import evaluate_plot, plots
    from carrousel.nlp.data import read_lines
    from carrousel.nlp.pipeline.translate import Translator, attention_plot
    from carrousel.nlp.pipeline.translate_types import Translation

    po_out = po_output(po, out, texts, file, plot, as_json)
    to_stdout = check_plot_option(plot, as_json, evaluate_plot.PLOT_EXTRA, plots.ALIGNMENT_PURPOSE)
    items = list(texts or [])
    lines = read_lines(file, blanks=True) if file is not None else []  # a blank line: "", no model call
    blank = {len(items) + i for i, line in enumerate(lines) if not line}  # an empty output each (aligned)
    items += lines
    if not items and po is None:
        raise typer.BadParameter(
            "nothing to translate; give texts as arguments, --file FILE or --po CATALOGUE"
        )
    dc = DecodeConfig(
        beam, length_penalty, coverage_penalty, block_ngram_repeat=block_ngram_repeat, batch_size=batch_size,
        device=device,
        copy_unknown=copy_unknown, lexical_bias=lexical_bias, fallback_nll=fallback_nll, mbr=mbr,
        mbr_temperature=mbr_temperature, mbr_dictionary=mbr_dictionary, mbr_copy=mbr_copy,
        mbr_confidence=mbr_confidence, precision=precision.value, fallback_clauses=fallback_clauses,
        usage_dictionary=usage_dictionary, usage_commands=usage_commands,
    )  # fmt: skip
    translator = Translator.from_pretrained(model, dc.device, ensemble or ())
    if po is not None:
        return fill_catalogue(po, po_out, translator, dc, as_json)
    listing = None  # --json: the translations stream out block by block too, inside the one document
    if as_json:
        # "plots": the attention chart, written with the first block, before the document starts
        doc = {"beam": beam, **translator.precisions(dc.precision), "plots": plots_written(plot)}
        listing = JsonListWriter(lambda text: echo(text, nl=False), within=doc, key="translations")
    block = dc.batch_size * RUN_BLOCK_BATCHES  # translated, then written, block by block: bounded memory
    kept = [t for i, t in enumerate(items) if i not in blank]
    at_item = 0
    for at, results in enumerate(translator.translate_blocks(kept, dc, block, as_json or plot is not None)):
        if plot is not None and at == 0:
            attention_plot(results[0], plot)
        for r in results:
            while at_item in blank:
                _write(Translation("", "", 0.0, chosen="copy"), listing, to_stdout)
                at_item += 1
            _write(r, listing, to_stdout)
            at_item += 1
    if listing is not None:
        listing.close()


def _write(r: Translation, listing: JsonListWriter | None, to_stdout: bool) -> None:
    """One translation out: an item of the ``--json`` document, else its line (none when a plot goes there)."""
    if listing is not None:
        listing.add(shares.rounded_translation(r))
    elif not to_stdout:
        echo(r.text)


@command(translate_app, "evaluate")
def evaluate(
    model: Model,
    pairs: Pairs,
    split: Annotated[
        Split, typer.Option(help="all: every clean pair; test/valid: that split, cut as in training.")
    ] = Split.all,
    beam: Beam = 5,
    length_penalty: LengthPenalty = 1.0,
    coverage_penalty: Coverage = 0.0,
    block_ngram_repeat: BlockNgram = 5,
    copy_unknown: CopyUnknown = False,
    lexical_bias: LexicalBias = 0.0,
    fallback_nll: FallbackNll = 0.8,
    mbr: Mbr = True,
    mbr_temperature: MbrTemperature = 1.0,
    mbr_dictionary: MbrDictionary = 0.5,
    mbr_copy: MbrCopy = 0.25,
    mbr_confidence: MbrConfidence = 0.0,
    fallback_clauses: FallbackClauses = False,
    usage_dictionary: UsageDictionary = False,
    usage_commands: UsageCommands = True,
    ensemble: Ensemble = None,
    bleu_tokenize: BleuTokenize = "auto",
    limit: Annotated[int, typer.Option(min=0, help="Score at most this many pairs (0: all).")] = 0,
    examples: Annotated[int, typer.Option(min=0, help="Example translations to show.")] = 5,
    batch_size: BatchSize = 64,
    device: Device = "cpu",
    precision: RunPrecision = InferencePrecision.FP32,
    plot: BleuPlot = None,
    as_json: JsonFlag = False,
) -> None:
    """BLEU and chrF of greedy and beam decoding beside copy-the-source and word-dictionary baselines."""
    from carrousel.nlp import evaluate_plot as charts
    from carrousel.nlp.pipeline.translate_eval import evaluate_translator

    to_stdout = check_plot_option(plot, as_json, charts.PLOT_EXTRA, charts.TRANSLATE_PURPOSE)
    dc = DecodeConfig(
        beam, length_penalty, coverage_penalty, block_ngram_repeat=block_ngram_repeat, batch_size=batch_size,
        device=device,
        copy_unknown=copy_unknown, lexical_bias=lexical_bias, fallback_nll=fallback_nll, mbr=mbr,
        mbr_temperature=mbr_temperature, mbr_dictionary=mbr_dictionary, mbr_copy=mbr_copy,
        mbr_confidence=mbr_confidence, precision=precision.value, fallback_clauses=fallback_clauses,
        usage_dictionary=usage_dictionary, usage_commands=usage_commands,
    )  # fmt: skip
    files, members = tuple(str(p) for p in pairs), tuple(map(str, ensemble or ()))
    cfg = TranslateEvaluateConfig(str(model), files, split.value, dc, limit, examples, members, bleu_tokenize)
    r = evaluate_translator(cfg)
    if plot is not None:
        plot = charts.translation_png(r, plot, charts.names((cfg.model, *members)), charts.names(files))
    if as_json or to_stdout:
        if as_json:  # "plots": the chart written, under the key finance's forecast gives its charts
            emit_json({**r.summary(), "plots": plots_written(plot)})
        return
    echo(f"pairs       {r.pairs} (model {shares.precision_words(r.trained_precision, r.precision)})")
    echo(f"{'system':<12} {'BLEU':>6} {'chrF':>6}  (BLEU tokenized with {r.bleu_tokenize})")
    for name in r.bleu:
        label = f"beam {r.beam}" if name == "beam" else name
        echo(f"{label:<12} {r.bleu[name]:6.2f} {r.chrf[name]:6.2f}")
    for ex in r.examples:  # a blank line, then source, reference, greedy, beam: one a line
        echo("\n" + "\n".join(f"{k:<12}{ex[k]}" for k in ("source", "reference", "greedy", "beam")))
    if plot is not None:
        echo(f"BLEU/chrF chart written to {plot}")


@command(translate_app, "export", quiet_with="out")
def export(
    model: Model,
    out: shares.ExportOut,
    precision: ExportPrecision = DeployPrecision.INT8,
    exporter: ExportWith = Exporter.TORCHSCRIPT,
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, help="BLEU before/after on this many stored test pairs (0: skip)."),
    ] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Model with its decoder step and encoder as ONNX (fp32/int8); prints size, latency, BLEU before/after."""
    from carrousel.nlp.pipeline.translate_deploy import export_translator

    cfg = TranslateExportConfig(str(model), precision.value, exporter.value, limit)
    report = export_translator(cfg, out)
    if as_json:
        emit_json(report.summary())
        return
    print_deployment(report.summary())

"""``nlp translate train|run|evaluate``: LSTM encoder-decoder translation with attention."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer

from carrousel.core.cli import (
    ExportPrecision,
    ExportWith,
    RunPrecision,
    bars_on,
    command,
    echo,
    emit_json,
    epochs_option,
    print_deployment,
)
from carrousel.core.cli_config import merged, pick, read_tables
from carrousel.core.cli_outputs import check_plot_option, plots_written
from carrousel.core.cli_values import Above, JsonListWriter, OutputFolder
from carrousel.core.config import MAX_THREADS
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.nlp.cli import _common as shares
from carrousel.nlp.cli._common import ConfigFile, Device, JsonFlag, group
from carrousel.nlp.cli._translate_options import (
    AttentionPlot,
    BatchSize,
    Beam,
    BleuPlot,
    BleuTokenize,
    BlockNgram,
    CapsNames,
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
    RareWords,
    RunFile,
    RunTexts,
    Split,
    TrainPairs,
)
from carrousel.nlp.cli._translate_po import fill_catalogue, po_output
from carrousel.nlp.config import (
    DecodeConfig,
    FitConfig,
    TokenizerConfig,
    TranslateDataConfig,
    TranslateEvaluateConfig,
    TranslateExportConfig,
    TranslateNetConfig,
    TranslateTrainConfig,
)

__all__ = ["translate_app"]

RUN_BLOCK_BATCHES = 16  # run --file: batches per block of texts translated, then written out


translate_app = group(
    "translate",
    "Machine translation: train a BiLSTM encoder-decoder with attention, translate ('run', also "
    "'nlp translate --model DIR TEXT'), score BLEU/chrF, export to ONNX.",
    run_by_default=True,
)
_FIT = FitConfig(epochs=32, batch_size=32, lr=3e-3, patience=3, lr_decay=0.5, threads=1)  # train's defaults
_TOKENS = TokenizerConfig(kind="bpe", vocab_size=1000, min_frequency=2, lowercase=False)


class Attention(enum.StrEnum):
    """Luong attention scores."""

    general = "general"
    dot = "dot"


@command(translate_app, "train")
def train(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the model bundle."), OutputFolder()],
    pairs: TrainPairs = None,
    src: Annotated[str | None, typer.Option("--src", help="Source language code [default: en].")] = None,
    tgt: Annotated[str | None, typer.Option("--tgt", help="Target language code [default: de].")] = None,
    valid: shares.ValidShare = None,
    test: shares.TestShare = None,
    vocab_size: Annotated[
        int | None,
        typer.Option(
            min=8, max=1_000_000, help="BPE vocabulary size (per language when separate) [default: 1000]."
        ),
    ] = None,
    shared_vocab: Annotated[
        bool,
        typer.Option(
            "--shared-vocab/--separate-vocab",
            help="One subword vocabulary and embedding for both languages, or one each.",
        ),
    ] = True,
    embed_dim: Annotated[int | None, typer.Option(min=1, help="Embedding size [default: 256].")] = None,
    hidden_size: Annotated[int | None, typer.Option(min=2, help="Decoder units [default: 256].")] = None,
    layers: Annotated[int | None, typer.Option(min=1, help="Stacked layers [default: 1].")] = None,
    attention: Annotated[Attention | None, typer.Option(help="Attention score [default: general].")] = None,
    dropout: Annotated[float | None, typer.Option(min=0.0, max=0.95, help="[default: 0.3]")] = None,
    pointer: Annotated[
        bool | None,
        typer.Option(
            "--pointer/--no-pointer",
            help="Pointer-generator: learn to copy source subwords into the output [default: pointer].",
        ),
    ] = None,
    lexicon: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Entries per source token of an IBM-1 lexicon mixed into the pointer (0: off) [default: 0].",
        ),
    ] = None,
    placeholders: Annotated[
        bool | None,
        typer.Option(
            "--placeholders/--no-placeholders",
            help="Mask formats, options, paths and numbers as single copied tokens [default: placeholders].",
        ),
    ] = None,
    rare_words: RareWords = None,
    caps_names: CapsNames = None,
    bpe_dropout: shares.BpeDropout = None,
    label_smoothing: Annotated[float | None, typer.Option(min=0.0, max=0.95, help="[default: 0.1]")] = None,
    epochs: Annotated[int | None, epochs_option("Most epochs [default: 32].")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Pairs per batch [default: 32].")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate [default: 0.003]."), Above(0.0)] = None,
    patience: Annotated[int | None, typer.Option(min=1, help="Early-stopping patience [default: 3].")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seeds split and training [default: 0].")] = None,
    train_seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Seeds the training only (the split and vocabulary stay --seed's): members of an ensemble "
            "for 'run --ensemble' [default: --seed].",
        ),
    ] = None,
    members: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=16,
            help="Networks trained one after another (training seeds --train-seed, +1, ...) and saved in one "
            "bundle that decodes as an ensemble; 1: a single network, faster to train and decode [default: 3].",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=64,
            help="Processes training the members at once (0: as many as the CPU cores hold at --threads "
            "each); the weights do not depend on it [default: 0].",
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(min=0, max=MAX_THREADS, help="CPU threads (0: torch's default) [default: 1]."),
    ] = None,
    ema_decay: shares.EmaDecay = None,
    device: shares.TrainDevice = None,
    precision: shares.FitPrecision = None,
    config: ConfigFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Train a translator on parallel text, holding out validation and test pairs."""
    from carrousel.nlp.pipeline.translate import train_translator

    message = "give --pairs SOURCE (twice for two aligned files), or [data] pairs in the --config file"
    doc, files, named = shares.inputs_or_config(pairs, config, "data.pairs", "pairs", message)
    kinds = {"data": TranslateDataConfig, "tokenizer": TokenizerConfig, "model": TranslateNetConfig}
    tables = read_tables(doc, kinds | {"fit": FitConfig}, {"data": {"pairs": files}} if pairs else None)
    data, tok, net, fit = (tables[name] for name in ("data", "tokenizer", "model", "fit"))
    fit_flags: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "patience": patience}
    fit_flags |= {"seed": train_seed if train_seed is not None else seed, "threads": threads}
    fit_flags |= {"ema_decay": ema_decay, "precision": precision}
    cfg = TranslateTrainConfig(
        data=TranslateDataConfig(
            pairs=files or data.value.pairs if data is not None else files,
            src=pick(src, data, "src", "en"),
            tgt=pick(tgt, data, "tgt", "de"),
            valid=pick(valid, data, "valid", 0.05),
            test=pick(test, data, "test", 0.05),
            max_ratio=pick(None, data, "max_ratio", 3.0),
            max_words=pick(None, data, "max_words", 80),
            seed=pick(seed, data, "seed", pick(None, fit, "seed", 0)),
        ),
        tokenizer=merged(tok, _TOKENS, vocab_size=vocab_size),
        model=TranslateNetConfig(
            embed_dim=pick(embed_dim, net, "embed_dim", 256),
            hidden_size=pick(hidden_size, net, "hidden_size", 256),
            num_layers=pick(layers, net, "num_layers", 1),
            attention=pick(attention, net, "attention", "general"),
            dropout=pick(dropout, net, "dropout", 0.3),
            pointer=pick(pointer, net, "pointer", True),
            lexicon=pick(lexicon, net, "lexicon", 0),
        ),
        fit=merged(fit, _FIT, device=device, progress=bars_on(), **fit_flags),
        label_smoothing=label_smoothing if label_smoothing is not None else 0.1,
        placeholders=placeholders if placeholders is not None else True,
        rare_words=rare_words if rare_words is not None else 0,
        caps_names=caps_names if caps_names is not None else False,
        shared_vocab=shared_vocab,
        bpe_dropout=bpe_dropout if bpe_dropout is not None else 0.0,
        members=members if members is not None else 3,
        workers=workers if workers is not None else 0,
    )
    with shares.fit_settings(precision, config, named):  # file pairs: as held
        r = train_translator(cfg, out)
    if as_json:
        emit_json(r)
        return
    echo(f"model       {r.out}")
    echo(f"pairs       {r.pairs['train']} train, {r.pairs['valid']} valid, {r.pairs['test']} test")
    if shared_vocab:
        echo(f"vocabulary  {r.vocab_size} shared BPE entries")
    else:
        echo(f"vocabulary  {r.vocab_size} source + {r.target_vocab_size} target BPE entries")
    echo(f"parameters  {r.parameters}")
    for m in r.members:
        who = f"member {m.seed - r.members[0].seed + 1} (seed {m.seed}): " if len(r.members) > 1 else ""
        echo(f"epochs      {who}{m.epochs} (best {m.best_epoch})")
        echo(f"valid loss  {who}{m.valid_loss:.4f} per token (label-smoothed)")
    echo(f"time        {r.seconds:.1f} s ({r.precision})")


@command(translate_app, "run")
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

    po_out = po_output(po, out, texts, file, plot, as_json)
    to_stdout = check_plot_option(plot, as_json, evaluate_plot.PLOT_EXTRA, plots.ALIGNMENT_PURPOSE)
    items = list(texts or [])
    if file is not None:
        items += read_lines(file)  # a blank line is refused, naming it (outputs stay line-aligned)
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
    for at, results in enumerate(translator.translate_blocks(items, dc, block, as_json or plot is not None)):
        if plot is not None and at == 0:
            attention_plot(results[0], plot)
        for r in results:
            if listing is not None:
                listing.add(shares.rounded_translation(r))
            elif not to_stdout:
                echo(r.text)
    if listing is not None:
        listing.close()


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

"""``nlp generate train|run|evaluate``: a character (or subword) LSTM language model."""

from __future__ import annotations

from dataclasses import replace
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
from carrousel.core.cli_config import merged, pick
from carrousel.core.cli_outputs import check_plot_option, plots_written
from carrousel.core.cli_values import Above, Below, OutputFolder
from carrousel.core.config import MAX_THREADS
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.core.files import check_input_file
from carrousel.core.provenance import precision_words
from carrousel.nlp.cli._common import (
    Cell,
    ConfigFile,
    Device,
    ExportOut,
    FitPrecision,
    JsonFlag,
    TokenizerKind,
    TrainDevice,
    fit_settings,
    group,
    inputs_or_config,
    train_summary_shown,
    train_tables,
)
from carrousel.nlp.config import (
    STDIN_UNREADABLE,
    FitConfig,
    GenerateConfig,
    LMDataConfig,
    LMEvaluateConfig,
    LMExportConfig,
    LMNetConfig,
    LMTrainConfig,
    TokenizerConfig,
)
from carrousel.nlp.errors import NLPConfigError

__all__ = ["generate_app"]

generate_app = group(
    "generate",
    "Text generation: train an LSTM language model, sample from it ('run', also "
    "'nlp generate --model DIR --prompt TEXT'), measure perplexity, export to ONNX.",
    run_by_default=True,
)

_TEXTS = "Text file(s), joined in order (repeat); a table (CSV, TSV, JSONL, Parquet): its text column"
Texts = Annotated[
    list[Path],
    typer.Option("--text", "-t", metavar="FILE", help=f"{_TEXTS}."),
]
TrainTexts = Annotated[
    list[Path] | None,
    typer.Option(
        "--text",
        "-t",
        metavar="FILE",
        help=f"{_TEXTS} [default: [data] files of --config].",
        show_default=False,
    ),
]
Holdout = Annotated[
    float | None,
    typer.Option(help="Share at the end held out [default: 0.1]."),
    Above(0.0),
    Below(1.0),
]
EvalHoldout = Annotated[  # evaluate's own help names its own default (before: "0.1; evaluate: the model's")
    float | None,
    typer.Option("--holdout", help="Share at the end held out [default: the model's, as it was trained]."),
    Above(0.0),
    Below(1.0),
]


def _refuse_stdin(
    typed: list[Path] | tuple[str, ...] | None, doc: dict[str, Any] | None = None, key: str = ""
) -> None:
    """``-`` among the texts, in one line naming where it came from: typed (``--text -``), a usage error
    (exit 2); in the ``--config`` file's ``[data] files`` (``key``: how messages name it there), a config
    error (exit 1). Before: exit 1 for ``--text -``, and ``[data] in c.toml: --text - ...`` for the file."""
    if any(str(p) == "-" for p in typed or ()):
        raise typer.BadParameter(f"--text {STDIN_UNREADABLE}")
    data = (doc or {}).get("data")
    listed = data.get("files") if isinstance(data, dict) else None
    if key and isinstance(listed, list) and "-" in listed:
        raise NLPConfigError(f"{key} {STDIN_UNREADABLE}")


Model = Annotated[Path, typer.Option("--model", help="Model folder written by 'nlp generate train'.")]


@command(generate_app, "train", quiet_with="out")
def train(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the model bundle."), OutputFolder()],
    text: TrainTexts = None,
    holdout: Holdout = None,
    tokenizer: Annotated[TokenizerKind | None, typer.Option(help="Token level [default: char].")] = None,
    vocab_size: Annotated[int | None, typer.Option(min=8, help="Vocabulary size cap [default: 512].")] = None,
    lowercase: Annotated[
        bool | None, typer.Option("--lowercase/--keep-case", help="[default: keep-case]")
    ] = None,
    embed_dim: Annotated[
        int | None, typer.Option(min=1, help="Embedding size, tied to the output [default: 128].")
    ] = None,
    hidden_size: Annotated[int | None, typer.Option(min=1, help="LSTM units [default: 256].")] = None,
    layers: Annotated[int | None, typer.Option(min=1, help="Stacked layers [default: 1].")] = None,
    cell: Annotated[Cell | None, typer.Option(help="Recurrent cell [default: lstm].")] = None,
    dropout: Annotated[float | None, typer.Option(min=0.0, max=0.95, help="[default: 0.2]")] = None,
    bptt: Annotated[
        int | None, typer.Option(min=1, help="Truncated-BPTT length in tokens [default: 100].")
    ] = None,
    epochs: Annotated[int | None, epochs_option("Most epochs [default: 40].")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Parallel streams [default: 32].")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate [default: 0.003]."), Above(0.0)] = None,
    patience: Annotated[int | None, typer.Option(min=1, help="Early-stopping patience [default: 4].")] = None,
    lr_decay: Annotated[
        float | None,
        typer.Option(min=0.0, max=0.99, help="LR factor on a validation plateau [default: 0.25]."),
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="[default: 0]")] = None,
    threads: Annotated[
        int | None, typer.Option(min=0, max=MAX_THREADS, help="CPU threads (0: torch's default).")
    ] = None,
    device: TrainDevice = None,
    precision: FitPrecision = None,
    config: ConfigFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Train a language model on text files, holding out their tail."""
    from carrousel.nlp.pipeline.generate import train_lm

    message = "give --text FILE (repeat for several), or [data] files in the --config file"
    doc, files, from_file = inputs_or_config(text, config, "data.files", "data.files", message)  # read once
    _refuse_stdin(files, doc, from_file.get("data.files", ""))
    tables = train_tables(
        doc,
        {"data": LMDataConfig, "tokenizer": TokenizerConfig, "model": LMNetConfig},
        {"data": {"files": files}} if files else None,
        LMTrainConfig,
    )
    data, tok, net, fit, own = (tables[name] for name in ("data", "tokenizer", "model", "fit", "train"))
    base_bptt = pick(bptt, own, "bptt", 100)  # [train] bptt / segment in the file (the flag wins)
    cfg = LMTrainConfig(
        data=merged(data, data.value if data is not None else LMDataConfig(files), holdout=holdout),
        tokenizer=merged(
            tok,
            TokenizerConfig(kind="char", vocab_size=512, min_frequency=1, lowercase=False),
            kind=tokenizer,
            vocab_size=vocab_size,
            lowercase=lowercase,
        ),
        model=merged(
            net,
            LMNetConfig(),
            embed_dim=embed_dim,
            hidden_size=hidden_size,
            num_layers=layers,
            cell=cell,
            dropout=dropout,
        ),
        fit=merged(
            fit,
            FitConfig(epochs=40, batch_size=32, lr=3e-3, patience=4, lr_decay=0.25),
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            patience=patience,
            lr_decay=lr_decay,
            seed=seed,
            threads=threads,
            device=device,
            precision=precision,
            progress=bars_on(),
        ),
        bptt=base_bptt,
        segment=pick(None, own, "segment", 4 * base_bptt),
    )
    # the files came from the config: its messages name it, not --text (a binary or non-UTF-8 one too)
    with fit_settings(precision, config, from_file):
        for f in cfg.data.files if from_file else ():
            check_input_file(f, from_file["data.files"], "text")
        r = train_lm(cfg, out)
    if not train_summary_shown(r, as_json):  # --json: the result; -q: nothing
        return
    echo(f"model       {r.out}")
    echo(f"vocabulary  {r.vocab_size} ({cfg.tokenizer.kind})")
    echo(f"tokens      {r.train_tokens} trained on, {r.held_out_tokens} held out")
    echo(f"epochs      {r.epochs} (best {r.best_epoch})")
    echo(f"perplexity  {r.perplexity:.3f} on the held-out tail")
    echo(f"time        {r.seconds:.1f} s ({r.precision})")


@command(generate_app, "run")
def run(
    model: Model,
    prompt: Annotated[
        str, typer.Option("--prompt", "-p", help="Text to continue (default: a new line).")
    ] = "",
    max_tokens: Annotated[int, typer.Option(min=1, max=100_000, help="Tokens to generate.")] = 200,
    temperature: Annotated[float, typer.Option(min=0.0, help="Sampling temperature (0: greedy).")] = 0.8,
    top_k: Annotated[int, typer.Option(min=0, help="Sample among the k most likely (0: all).")] = 0,
    top_p: Annotated[float, typer.Option(max=1.0, help="Nucleus sampling mass (1: all)."), Above(0.0)] = 1.0,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Seed for reproducible output (default: drawn; --json reports it)."),
    ] = None,
    device: Device = "cpu",
    precision: RunPrecision = InferencePrecision.FP32,
    as_json: JsonFlag = False,
) -> None:
    """Generate text, streamed to stdout as it is sampled."""
    from carrousel.core.train import draw_seed
    from carrousel.nlp.pipeline.generate import TextGenerator

    cfg = GenerateConfig(
        str(model), prompt, max_tokens, temperature, top_k, top_p, seed, device, precision.value
    )
    if cfg.seed is None:  # drawn here, so that --json can report it and the run can be repeated
        cfg = replace(cfg, seed=draw_seed())
    gen = TextGenerator.from_pretrained(cfg.model, cfg.device, cfg.precision)
    pieces = gen.stream(cfg.prompt, cfg.max_tokens, cfg.temperature, cfg.top_k, cfg.top_p, cfg.seed)
    if as_json:
        emit_json({"prompt": cfg.prompt, "text": "".join(pieces), "seed": cfg.seed, **gen.precisions()})
        return
    echo(cfg.prompt, nl=False)
    for piece in pieces:
        echo(piece, nl=False)
    echo("")


@command(generate_app, "evaluate")
def evaluate(
    model: Model,
    text: Texts,
    holdout: EvalHoldout = None,
    orders: Annotated[str, typer.Option(help="n-gram baselines, comma-separated (1 = unigram).")] = "1,3,5,7",
    device: Device = "cpu",
    precision: RunPrecision = InferencePrecision.FP32,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Write a PNG of the perplexities (bars) and of the per-token negative log-likelihood of the "
            "model and the best baseline along the held-out text.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Perplexity on the held-out tail against unigram and Kneser-Ney n-gram baselines."""
    from carrousel.core.bundle import read_manifest
    from carrousel.nlp import evaluate_plot as charts
    from carrousel.nlp.pipeline.generate import KIND, evaluate_lm

    _refuse_stdin(text)
    to_stdout = check_plot_option(plot, as_json, charts.PLOT_EXTRA, charts.LM_PURPOSE)
    try:
        order_list = tuple(int(x) for x in orders.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter(f"--orders takes integers separated by commas, got {orders!r}") from None
    if not order_list or not all(1 <= n <= 10 for n in order_list):
        raise typer.BadParameter(f"--orders takes n-gram orders from 1 to 10, got {orders!r}")
    if holdout is None:  # the split the model was trained with
        holdout = float(read_manifest(model, kind=KIND)["assets"].get("holdout", 0.1))
    data = LMDataConfig(tuple(str(p) for p in text), holdout)
    r = evaluate_lm(LMEvaluateConfig(str(model), data, order_list, device, precision.value))
    if plot is not None:
        plot = charts.language_model_png(r, plot, charts.names([model]), charts.names(data.files))
    if as_json or to_stdout:
        if as_json:  # "plots": the chart written, under the key finance's forecast gives its charts
            emit_json({**r.summary(), "plots": plots_written(plot)})
        return
    echo(
        f"held-out tokens  {r.held_out_tokens} scored (model {precision_words(r.trained_precision, r.precision)})"
    )
    lstm = "LSTM" if r.precision == "fp32" else f"LSTM ({r.precision})"
    echo(f"{lstm:<16} perplexity {r.perplexity:8.3f}  ({r.bits_per_token:.3f} bits per token)")
    for name, ppl in r.baselines.items():
        echo(f"{name:<16} perplexity {ppl:8.3f}")
    best = r.baselines[r.best_baseline]
    verdict = "below" if r.perplexity < best else "NOT below"
    echo(f"verdict          the LSTM is {verdict} the best baseline ({r.best_baseline}, {best:.3f})")
    if plot is not None:
        echo(f"perplexity chart written to {plot}")


@command(generate_app, "export", quiet_with="out")
def export(
    model: Model,
    out: ExportOut,
    text: Annotated[
        list[Path] | None,
        typer.Option(
            "--text",
            "-t",
            metavar="FILE",
            help="Perplexity before/after on these files [default: the model's].",
        ),
    ] = None,
    precision: ExportPrecision = DeployPrecision.INT8,
    exporter: ExportWith = Exporter.TORCHSCRIPT,
    as_json: JsonFlag = False,
) -> None:
    """Model with its step as ONNX (fp32/int8); prints size, latency and perplexity before and after."""
    from carrousel.nlp.pipeline.generate_deploy import export_lm

    _refuse_stdin(text)
    cfg = LMExportConfig(str(model), tuple(str(p) for p in text or ()), precision.value, exporter.value)
    report = export_lm(cfg, out)
    if as_json:
        emit_json(report.summary())
        return
    print_deployment(report.summary())

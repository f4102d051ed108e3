"""The ``speech`` command line: the only module of carrousel.speech importing typer or rich.

Built on :mod:`carrousel.core.cli`, so it follows the conventions table of the README (``-h``,
``--version``, ``-v``/``-q``, results on stdout, logs and progress bars on stderr, strict ``--json``,
exit codes 0/1/2/130). Flags become a config (:mod:`carrousel.speech.config`), the config goes to one
function of :mod:`carrousel.speech.pipeline`, and the result is rendered here.
"""

from __future__ import annotations

if __name__ == "__main__":  # python -m carrousel.speech.cli: signals caught before the imports
    from carrousel.core.cli_start import launch

    launch("carrousel.speech.cli")  # imports this module under its own name, runs main() and exits

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from carrousel.core import cli
from carrousel.core.cli_device import DeviceOption, device_option
from carrousel.core.cli_outputs import check_plot_option, plots_written, summary_hidden
from carrousel.core.cli_samples import add_sample_commands
from carrousel.core.cli_values import Above, Below, NonBlank, OutputFolder
from carrousel.core.config import MAX_THREADS, from_dict, read_toml
from carrousel.core.errors import ConfigError
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.core.export.choices import PrecisionSource, precision_from
from carrousel.core.provenance import precision_words
from carrousel.core.text import counted, name_some
from carrousel.speech import __version__
from carrousel.speech.config import (
    MAX_RECORDING_SECONDS,
    MAX_WORKERS,
    MIN_RECORDING_SECONDS,
    DecodeConfig,
    EvaluateConfig,
    SpeechExportConfig,
    StreamConfig,
    SynthConfig,
    TrainConfig,
    TranscribeConfig,
)
from carrousel.speech.config_checks import check_train_data, corpora_named, train_corpus
from carrousel.speech.errors import AudioError
from carrousel.speech.samples import SAMPLES
from carrousel.speech.vocab import KINDS

if TYPE_CHECKING:
    from carrousel.speech.transcripts import Transcript

__all__ = ["app", "main"]

app = cli.create_app(
    "speech", "carrousel-speech: speech recognition with BiLSTM + CTC.", f"carrousel-speech {__version__}"
)
add_sample_commands(app, "speech", SAMPLES)  # samples list / samples place (core.cli_samples)


class Kind(enum.StrEnum):
    """Utterance kinds of a synthetic corpus."""

    digits = "digits"
    numbers = "numbers"
    letters = "letters"
    commands = "commands"


class Engine(enum.StrEnum):
    """Speech synthesisers."""

    espeak = "espeak-ng"
    flite = "flite"


class Features(enum.StrEnum):
    """Feature kinds."""

    mfcc = "mfcc"
    logmel = "logmel"


class Normalize(enum.StrEnum):
    """Feature normalisation."""

    utterance = "utterance"
    causal = "causal"
    none = "none"


Json = Annotated[bool, typer.Option("--json", help="Print the result as strict JSON on stdout.")]
Model = Annotated[
    Path | None, typer.Option("--model", help="Model folder (default: the shipped English recogniser).")
]
Device = DeviceOption
Threads = Annotated[int | None, typer.Option("--threads", min=1, max=MAX_THREADS, help="Torch CPU threads.")]
Beam = Annotated[
    int, typer.Option("--beam", min=1, max=DecodeConfig.MAX_BEAM, help="Beam width; 1 is greedy decoding.")
]
Lm = Annotated[
    Path | None, typer.Option("--lm", help="Word LM: an ARPA file, or plain text (one sentence a line).")
]
LmWeight = Annotated[float, typer.Option("--lm-weight", min=0.0, help="Weight of the LM (natural log).")]
WordBonus = Annotated[float, typer.Option("--word-bonus", help="Bonus per word with beam decoding.")]
Hotword = Annotated[
    list[str] | None, typer.Option("--hotword", help="A word or phrase to favour (repeatable)."), NonBlank()
]
ModelLm = Annotated[
    bool,
    typer.Option("--model-lm/--no-model-lm", help="Beam search without --lm: use the model's own word LM."),
]
HotWeight = Annotated[float, typer.Option("--hotword-weight", min=0.0, help="Hotword bonus per character.")]
Trim = Annotated[
    bool, typer.Option("--trim/--no-trim", help="Leave leading/trailing silence of short files out.")
]
MaxSeconds = Annotated[
    float,
    typer.Option(
        "--max-seconds",
        min=MIN_RECORDING_SECONDS,
        max=MAX_RECORDING_SECONDS,
        help="Refuse longer recordings.",
    ),
]
Data = Annotated[
    list[str],
    typer.Option(
        "--data",
        help="Corpus: manifest (.tsv path<TAB>transcript, .csv, .jsonl; Common Voice's test.tsv), Common Voice "
        "language folder (ROOT#test), folder of audio + .txt, audiofolder, Kaldi/ESPnet data directory, "
        "LibriSpeech, Speech Commands (ROOT#test), LJSpeech, VCTK (ROOT#mic2) or TIMIT (ROOT#test) root, "
        "or sample:GROUP (repeatable).",
    ),
]
TrainData = Annotated[list[str] | None, *Data.__metadata__]  # speech train: or the --config file's data


def _decode(beam: int, nbest: int, lm: Path | None, model_lm: bool, lm_weight: float, word_bonus: float,
            hotword: list[str] | None, hotword_weight: float) -> DecodeConfig:  # fmt: skip
    return DecodeConfig(
        beam=beam,
        nbest=nbest,
        lm=str(lm) if lm else None,
        model_lm=model_lm,
        lm_weight=lm_weight,
        word_bonus=word_bonus,
        hotwords=tuple(hotword or ()),
        hotword_weight=hotword_weight,
    )


@cli.command(app, "synth-corpus", quiet_with="out")
def synth_corpus(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Corpus folder to write (manifest.tsv + wav/)."),
        OutputFolder(),
    ],
    utterances: Annotated[
        int, typer.Option("--utterances", "-n", min=1, max=SynthConfig.MAX_UTTERANCES, help="Utterances.")
    ] = 2000,
    kind: Annotated[
        list[Kind] | None, typer.Option("--kind", help="Utterance kinds (repeatable; all).")
    ] = None,
    engine: Annotated[
        list[Engine] | None, typer.Option("--engine", help="Synthesisers (repeatable).")
    ] = None,
    heldout: Annotated[bool, typer.Option("--heldout", help="Only voices never used for training.")] = False,
    clean: Annotated[
        float, typer.Option("--clean-fraction", min=0.0, max=1.0, help="Share without effects.")
    ] = 0.2,
    noise_share: Annotated[
        float,
        typer.Option(
            "--noise-share",
            min=0.0,
            max=1.0,
            help="Share without speech (noise, near-silence; empty transcript).",
        ),
    ] = 0.0,
    lone_share: Annotated[
        float,
        typer.Option(
            "--lone-share",
            min=0.0,
            max=1.0,
            help="Share of digit strings and numbers said as 1-2 number words ('two', 'twenty one').",
        ),
    ] = 0.0,
    clip_share: Annotated[
        float,
        typer.Option(
            "--clip-share",
            min=0.0,
            max=1.0,
            help="Share of speech starting on its first sound, no silence before (and, drawn apart, "
            "ending on its last).",
        ),
    ] = 0.0,
    pause_share: Annotated[
        float,
        typer.Option(
            "--pause-share",
            min=0.0,
            max=1.0,
            help="Share of speech said as 2-4 groups of words joined by 0.3-1.0 s pauses of silence.",
        ),
    ] = 0.0,
    pause_groups: Annotated[
        int,
        typer.Option(
            "--pause-groups",
            min=2,
            max=4,
            help="Most groups of a sentence with pauses (2: every one 2 groups, nearer the others' length).",
        ),
    ] = 4,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same corpus.")] = 0,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=MAX_WORKERS, help="Parallel synthesisers.")
    ] = 2,
    as_json: Json = False,
) -> None:
    """Synthesise a transcribed corpus (espeak-ng, flite; voices, rates, rooms, noise, telephone band)."""
    from carrousel.speech import pipeline

    cfg = SynthConfig(
        out=str(out),
        utterances=utterances,
        vocabulary=tuple(k.value for k in kind) if kind else KINDS,
        engines=tuple(e.value for e in engine) if engine else ("espeak-ng", "flite"),
        heldout=heldout,
        clean_fraction=clean,
        noise_share=noise_share,
        lone_share=lone_share,
        clip_share=clip_share,
        pause_share=pause_share,
        pause_groups=pause_groups,
        seed=seed,
        workers=workers,
    )
    result = pipeline.synth_corpus(cfg, cli.progress)
    if as_json:
        cli.emit_json(result)
    elif not summary_hidden(True):  # -q: manifest.tsv holds it (a row per utterance: seconds, speaker)
        cli.echo(
            f"{counted(result.utterances, 'utterance')}, {result.seconds / 60:.1f} min of audio, "
            f"{counted(result.voices, 'voice')} "
            f"({', '.join(result.engines)}) -> {result.manifest}"
        )


@cli.command(app, quiet_with="out")
def train(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Model folder to write (a bundle)."), OutputFolder()
    ],
    data: TrainData = None,
    val_data: Annotated[
        list[str] | None, typer.Option("--val-data", help="Validation corpus (repeatable).")
    ] = None,
    epochs: Annotated[int | None, cli.epochs_option("Epochs (default 12).")] = None,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", min=1, help="Stop after this many steps.")
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option("--lr", max=TrainConfig.MAX_LR, help="Peak learning rate (default 3e-3)."),
        Above(0.0),
    ] = None,
    hidden: Annotated[
        int | None,
        typer.Option(
            "--hidden",
            min=TrainConfig.MIN_HIDDEN,
            max=TrainConfig.MAX_HIDDEN,
            help="LSTM units per direction (160).",
        ),
    ] = None,
    layers: Annotated[
        int | None, typer.Option("--layers", min=1, max=TrainConfig.MAX_LAYERS, help="LSTM layers (2).")
    ] = None,
    unidirectional: Annotated[bool, typer.Option("--unidirectional", help="Streaming model.")] = False,
    subsample: Annotated[
        int | None,
        typer.Option("--subsample", min=1, max=TrainConfig.MAX_SUBSAMPLE, help="Time subsampling (3)."),
    ] = None,
    subwords: Annotated[
        int | None,
        typer.Option(
            "--subwords",
            min=0,
            max=TrainConfig.MAX_SUBWORDS,
            help="CTC units: 0 characters (default); N adds up to N BPE word pieces.",
        ),
    ] = None,
    features: Annotated[Features | None, typer.Option("--features", help="Feature kind (mfcc).")] = None,
    normalize: Annotated[Normalize | None, typer.Option("--normalize", help="Normalisation.")] = None,
    batch_seconds: Annotated[
        float | None,
        typer.Option(
            "--batch-seconds",
            min=TrainConfig.MIN_BATCH_SECONDS,
            max=TrainConfig.MAX_BATCH_SECONDS,
            help="Audio seconds per batch (32).",
        ),
    ] = None,
    max_utterances: Annotated[
        int | None, typer.Option("--max-utterances", min=TrainConfig.MIN_UTTERANCES, help="Subset size.")
    ] = None,
    val_fraction: Annotated[
        float | None,
        typer.Option("--val-fraction", min=0.0, help="Held out for validation without --val-data (0.05)."),
        Below(TrainConfig.MAX_VAL_FRACTION),
    ] = None,
    no_augment: Annotated[
        bool, typer.Option("--no-augment", help="No speed/noise/VTLP/SpecAugment.")
    ] = False,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Seed (0).")] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=0, max=MAX_WORKERS, help="Data-loading processes (1; 0: none)."),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML of TrainConfig fields.")] = None,
    init_from: Annotated[
        Path | None,
        typer.Option(
            "--init-from", help="Fine-tune this model folder (its architecture, alphabet, features)."
        ),
    ] = None,
    device: Annotated[str | None, device_option("auto")] = None,
    precision: cli.TrainPrecisionOrConfig = None,
    threads: Threads = None,
    as_json: Json = False,
) -> None:
    """Train a CTC recogniser on transcribed recordings and save it as a bundle."""
    from carrousel.speech import pipeline

    doc = read_toml(config, "--config") if config else {}
    flags: dict[str, Any] = {"epochs": epochs, "max_steps": max_steps, "lr": lr, "hidden": hidden}
    flags |= {"layers": layers, "subsample": subsample, "subwords": subwords, "batch_seconds": batch_seconds}
    flags |= {"max_utterances": max_utterances, "seed": seed, "threads": threads, "device": device}
    flags |= {"val_fraction": val_fraction, "workers": workers}
    flags["precision"] = precision.value if precision else None  # None: the --config file's, else fp32
    doc |= {k: v for k, v in flags.items() if v is not None} | train_corpus(data, doc, typer.BadParameter)
    doc |= {"val_data": list(val_data)} if val_data else {}
    doc |= {"init_from": str(init_from)} if init_from is not None else {}
    if unidirectional:
        doc["bidirectional"] = False
    if not isinstance(feats := doc.get("features", {}), dict):
        raise ConfigError(f"--config {config}: features must be a table ([features]), not {feats!r}")
    feats = dict(feats)
    feats |= {"kind": features.value} if features else {}
    feats |= {"normalize": normalize.value} if normalize else {}
    feats |= {"normalize": "causal"} if unidirectional and not normalize and "normalize" not in feats else {}
    doc["features"] = feats
    if no_augment:
        doc["augment"] = {
            "speed": [1.0, 1.0],
            "noise_prob": 0.0,
            "vtlp": [1.0, 1.0],
            "freq_masks": 0,
            "time_masks": 0,
        }
    cfg, source = from_dict(TrainConfig, doc), PrecisionSource.of(precision is not None, config, "precision")
    with precision_from(source), corpora_named(data, config):  # the file's corpora: named as it holds them
        result = pipeline.train(cfg, out, cli.progress)
    if as_json or summary_hidden(True):  # -q: bundle.json's provenance ("train") holds every figure below
        if as_json:
            cli.emit_json(result)
        return
    cer = f"{result.val_cer:.3f}" if result.val_cer is not None else "n/a"
    hours = result.audio_hours  # a small corpus in minutes: "(0.00 h)" before
    audio = f"{hours:.2f} h" if hours >= 1 else f"{hours * 60:.1f} min"
    cli.echo(
        f"trained on {counted(result.utterances, 'utterance')} ({audio}), {counted(result.epochs, 'epoch')}, "
        f"{counted(result.steps, 'step')} in {result.elapsed:.0f} s ({result.audio_seconds_per_second:.0f} audio s/s); "
        f"validation CER {cer} (epoch {result.best_epoch}); {result.parameters:,} parameters -> {result.out}"
    )


def _render(t: Transcript, many: bool, timestamps: bool) -> None:
    cli.echo(f"{t.path}\t{t.text}" if many else t.text)
    if timestamps:
        for w in t.words:
            cli.echo(f"  {w.start:8.2f} {w.end:8.2f}  {w.confidence:.2f}  {w.word}")
    for i, alt in enumerate(t.alternatives[1:], 2):
        cli.echo(f"  #{i} ({alt.score:.2f}) {alt.text}")


@cli.command(app)
def transcribe(
    files: Annotated[
        list[Path], typer.Argument(help="Recordings (WAV, FLAC, OGG...; any rate and channels).")
    ],
    model: Model = None,
    beam: Beam = 1,
    nbest: Annotated[
        int,
        typer.Option(
            "--nbest",
            min=1,
            max=DecodeConfig.MAX_BEAM,
            help="Alternatives with distinct texts (the beam is raised to N).",
        ),
    ] = 1,
    lm: Lm = None,
    model_lm: ModelLm = True,
    lm_weight: LmWeight = 0.5,
    word_bonus: WordBonus = 1.0,
    hotword: Hotword = None,
    hotword_weight: HotWeight = 3.0,
    timestamps: Annotated[bool, typer.Option("--timestamps", help="Word start, end and confidence.")] = False,
    chunk_seconds: Annotated[
        float,
        typer.Option(
            "--chunk-seconds",
            min=TranscribeConfig.MIN_CHUNK_SECONDS,
            max=TranscribeConfig.MAX_CHUNK_SECONDS,
            help="Chunk.",
        ),
    ] = 30.0,
    max_seconds: MaxSeconds = 4 * 3600.0,
    trim: Trim = True,
    device: Device = "cpu",
    precision: cli.RunPrecision = InferencePrecision.FP32,
    threads: Threads = None,
    as_json: Json = False,
) -> None:
    """Transcribe recordings: words, with timestamps and confidences."""
    from carrousel.speech import pipeline

    cfg = TranscribeConfig(
        model=str(model) if model else None,
        decode=_decode(max(beam, nbest), nbest, lm, model_lm, lm_weight, word_bonus, hotword, hotword_weight),
        chunk_seconds=chunk_seconds,
        max_seconds=max_seconds,
        trim=trim,
        device=device,
        threads=threads,
        precision=precision.value,
    )
    many = len(files) > 1  # a batch: a bad file is a warning, the others are transcribed, exit 1 at the end
    results = pipeline.transcribe(cfg, [str(f) for f in files], cli.progress, skip_errors=many)
    if as_json:
        cli.emit_json([_transcript_json(t, timestamps) for t in results])
    else:
        for t in results:
            if t.error is None:
                _render(t, many, timestamps)
    failed = [t for t in results if t.error is not None]
    for t in failed:  # one line per bad file, even under --quiet (a failure, not a log)
        cli.stderr.print(f"warning: {t.error} (skipped)", markup=False, highlight=False)
    if failed:
        named = name_some([t.path for t in failed], 3)
        raise AudioError(
            f"{len(failed)} of {len(results)} files could not be transcribed ({named}); "
            "the warnings above say why, the others were transcribed"
        )


def _transcript_json(t: Transcript, timestamps: bool) -> dict[str, Any]:
    if t.error is not None:
        return {"path": t.path, "error": t.error}
    doc: dict[str, Any] = {"path": t.path, "text": t.text, "seconds": t.seconds, "confidence": t.confidence}
    doc |= {"trained_precision": t.trained_precision, "precision": t.precision}
    if timestamps:
        doc["words"] = t.words
    if t.alternatives:
        doc["nbest"] = [{"text": a.text, "score": a.score} for a in t.alternatives]
    return doc


@cli.command(app)
def evaluate(
    data: Data,
    model: Model = None,
    beam: Beam = 1,
    lm: Lm = None,
    model_lm: ModelLm = True,
    lm_weight: LmWeight = 0.5,
    word_bonus: WordBonus = 1.0,
    hotword: Hotword = None,
    hotword_weight: HotWeight = 3.0,
    max_utterances: Annotated[int | None, typer.Option("--max-utterances", min=1, help="Subset.")] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Utterances with errors to list.")] = 20,
    trim: Trim = True,
    device: Device = "cpu",
    precision: cli.RunPrecision = InferencePrecision.FP32,
    threads: Threads = None,
    as_json: Json = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Write a PNG of the per-utterance WER/CER (histogram, against length).",
        ),
    ] = None,
) -> None:
    """Measure WER and CER of a model on transcribed recordings (jiwer), with per-utterance errors."""
    from carrousel.speech import pipeline, plots

    to_stdout = check_plot_option(plot, as_json, plots.PLOT_EXTRA, plots.PLOT_PURPOSE)
    cfg = EvaluateConfig(
        data=tuple(data),
        transcribe=TranscribeConfig(
            model=str(model) if model else None,
            decode=_decode(beam, 1, lm, model_lm, lm_weight, word_bonus, hotword, hotword_weight),
            trim=trim,
            device=device,
            threads=threads,
            precision=precision.value,
        ),
        max_utterances=max_utterances,
    )
    result = pipeline.evaluate(cfg, cli.progress)
    chart = plots.evaluation_png(result, plot) if plot is not None else None
    if as_json or to_stdout:
        if as_json:  # "plots": the chart written, the key of every command with --plot
            cli.emit_json({**cli.to_jsonable(result), "plots": plots_written(chart)})
        return
    tot = result.totals
    cli.echo(
        f"{counted(result.utterances, 'utterance')}, {counted(tot.words, 'word')} ({result.decoding}): "
        f"WER {tot.wer:.3f}  "
        f"CER {tot.cer:.3f}  sentence errors {tot.sentence_error_rate:.3f}  "
        f"(S {tot.substitutions} D {tot.deletions} I {tot.insertions}; RTF {result.real_time_factor:.3f}; "
        f"model {precision_words(result.trained_precision, result.precision)})"
    )
    if tot.no_speech:
        cli.echo(f"without speech: {tot.no_speech_empty} of {tot.no_speech} transcribed as nothing")
    wrong = [s for s in result.per_utterance if s.wer > 0 or s.cer > 0][:show]
    for s in wrong:
        cli.echo(f"  WER {s.wer:.2f}  {s.path}\n      ref: {s.reference}\n      hyp: {s.hypothesis}")
    if plot is not None:
        cli.echo(f"error chart written to {plot}")


@cli.command(app, "export", quiet_with="out")
def export(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder of the exported model to write."), OutputFolder()
    ],
    model: Model = None,
    precision: cli.ExportPrecision = DeployPrecision.INT8,
    exporter: cli.ExportWith = Exporter.TORCHSCRIPT,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="Transcribed corpus (as for evaluate): greedy WER/CER before and after."),
    ] = None,
    prune: cli.PruneShare = 0.0,
    finetune_epochs: cli.FinetuneEpochs = 5,
    train_data: Annotated[
        list[str] | None,
        typer.Option(
            "--train-data",
            help="--prune/--distill: corpus to fine-tune or train the student on (default: the model's "
            "recorded one).",
        ),
    ] = None,
    static_conv: Annotated[
        bool,
        typer.Option(
            "--static-conv",
            help="int8: the convolutions static int8 too, calibrated on training features (the recorded "
            "corpora, else synthesised speech): faster at batch 64, may cost a word of WER (README).",
        ),
    ] = False,
    distill: cli.DistillHidden = 0,
    as_json: Json = False,
) -> None:
    """Model with its acoustic network as ONNX (fp32/int8), optionally pruned and fine-tuned or distilled
    into a student with fewer LSTM units first; prints size, latency and WER before and after."""
    from carrousel.speech.deploy import export_recognizer

    check_train_data(tuple(train_data or ()), prune, distill, typer.BadParameter)  # usage: exit 2
    cli.refuse_idle_finetune(ctx, prune, distill)
    if static_conv and precision is not DeployPrecision.INT8:
        raise typer.BadParameter("--static-conv is for --precision int8")
    cfg = SpeechExportConfig(
        str(model) if model else None,
        tuple(data or ()),
        precision.value,
        exporter.value,
        prune,
        finetune_epochs,
        tuple(train_data or ()),
        static_conv,
        distill,
    )
    report = export_recognizer(cfg, out)
    if as_json:
        cli.emit_json(report.summary())
        return
    cer = report.extra.get("cer_before")
    more = [] if cer is None else [f"CER {cer:.4f} -> {report.extra['cer_after']:.4f}"]
    cli.print_deployment(report.summary(), *more)  # -q: nothing (the folder's report.json holds it)


@cli.command(app)
def stream(
    file: Annotated[Path, typer.Argument(help="A recording, fed in chunks as if live.")],
    model: Annotated[
        Path | None, typer.Option("--model", help="Unidirectional model folder (default: the shipped one).")
    ] = None,
    chunk_ms: Annotated[
        float,
        typer.Option(
            "--chunk-ms", min=StreamConfig.MIN_CHUNK_MS, max=StreamConfig.MAX_CHUNK_MS, help="Chunk (ms)."
        ),
    ] = 320.0,
    max_seconds: MaxSeconds = 4 * 3600.0,
    device: Device = "cpu",
    threads: Threads = None,
    as_json: Json = False,
) -> None:
    """Transcribe a recording as a live stream (unidirectional model, carried state), with partial results."""
    from carrousel.speech import pipeline

    cfg = StreamConfig(str(model) if model else None, chunk_ms, device, max_seconds, threads=threads)
    updates = []
    # --json: a bar over the seconds of audio (stderr, a terminal only); else the partial lines are the progress
    for p in pipeline.stream(cfg, str(file), cli.progress if as_json else None):
        if as_json:
            updates.append(p)
        elif p.final:
            cli.echo(p.text)
        elif not cli.is_quiet():  # stderr: the current segment (bounded), a closed one once, unmarked
            mark = "" if p.segment_end else "[dim]…[/dim] "
            cli.stderr.print(f"[dim]{p.time:7.2f}s[/dim] {mark}{p.text}", highlight=False)
    if as_json:
        cli.emit_json(
            {"partials": [u for u in updates if not u.final], "final": updates[-1] if updates else None}
        )


def main() -> None:
    """Console entry point (``speech``)."""
    cli.run(app, "speech")

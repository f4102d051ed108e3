"""``speech train``: a CTC recogniser trained on transcribed recordings and saved as a bundle (flags on top of
the ``--config`` file's settings)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer

from carrousel.core import cli
from carrousel.core.cli_config import settings_block
from carrousel.core.cli_device import device_option
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.cli_values import Above, Below, OutputFolder
from carrousel.core.config import from_dict, read_toml
from carrousel.core.errors import ConfigError
from carrousel.core.text import counted
from carrousel.speech.cli._common import Json, Threads, TrainData
from carrousel.speech.config import MAX_WORKERS, TrainConfig
from carrousel.speech.config_checks import corpora_held, train_corpus

__all__ = ["Features", "Normalize", "train"]


class Features(enum.StrEnum):
    """Feature kinds."""

    mfcc = "mfcc"
    logmel = "logmel"


class Normalize(enum.StrEnum):
    """Feature normalisation."""

    utterance = "utterance"
    causal = "causal"
    none = "none"


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
    cfg = from_dict(TrainConfig, doc)
    # precision checks name --precision or the file's precision; the file's corpora: named as it holds them
    with settings_block(precision is not None, config, "precision", corpora_held(data, config)):
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

"""``nlp translate train``: its flags, the config they make and the summary it prints.

:mod:`carrousel.nlp.cli.translate` registers :func:`train` as the group's first command; run, evaluate and
export live there.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from carrousel.core.cli import bars_on, echo, epochs_option
from carrousel.core.cli_config import merged, pick
from carrousel.core.cli_values import Above, OutputFolder
from carrousel.core.config import MAX_THREADS
from carrousel.core.option_names import file_key, settings_from_file
from carrousel.nlp.cli import _common as shares
from carrousel.nlp.cli._common import ConfigFile, JsonFlag
from carrousel.nlp.cli._translate_options import CapsNames, RareWords, TrainPairs
from carrousel.nlp.config import (
    FitConfig,
    TokenizerConfig,
    TranslateDataConfig,
    TranslateNetConfig,
    TranslateTrainConfig,
)
from carrousel.nlp.train_record import top_table

__all__ = ["train"]

_FIT = FitConfig(epochs=32, batch_size=32, lr=3e-3, patience=3, lr_decay=0.5, threads=1)  # train's defaults
_TOKENS = TokenizerConfig(kind="bpe", vocab_size=1000, min_frequency=2, lowercase=False)


class Attention(enum.StrEnum):
    """Luong attention scores."""

    general = "general"
    dot = "dot"


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
        bool | None,
        typer.Option(
            "--shared-vocab/--separate-vocab",
            help="One subword vocabulary and embedding for both languages, or one each [default: shared-vocab].",
        ),
    ] = None,
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
    with settings_from_file({"pairs": "[data] pairs"} if named else {}):  # its checks: "[data] in FILE: ..."
        tables = shares.train_tables(
            doc, kinds, {"data": {"pairs": files}} if pairs else None, TranslateTrainConfig
        )
    data, tok, net, fit, own = (tables[name] for name in ("data", "tokenizer", "model", "fit", "train"))
    fit_flags: dict[str, Any] = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "patience": patience}
    fit_flags |= {"seed": train_seed if train_seed is not None else seed, "threads": threads}
    fit_flags |= {"ema_decay": ema_decay, "precision": precision}
    if data is not None and valid is None and "valid" in data.given and config is not None:  # named so
        named = {**named, "valid": file_key("data.valid", config) + ":"}
    # the config's checks too name the file's settings as it holds them (pairs, valid), not by flags
    with shares.fit_settings(precision, config, named):  # file pairs: as held
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
            **asdict(  # [train] in the file: the run's own settings (flags win)
                merged(
                    own,
                    top_table(TranslateTrainConfig)(),
                    label_smoothing=label_smoothing,
                    placeholders=placeholders,
                    rare_words=rare_words,
                    caps_names=caps_names,
                    shared_vocab=shared_vocab,
                    bpe_dropout=bpe_dropout,
                    members=members,
                    workers=workers,
                )
            ),
        )
        tgt_given = tgt is not None or (data is not None and "tgt" in data.given)
        _check_named_languages(cfg.data.pairs, tgt_given, cfg.data.tgt)
        r = train_translator(cfg, out)
    if not shares.train_summary_shown(r, as_json):  # --json: the result; -q: nothing
        return
    echo(f"model       {r.out}")
    echo(f"pairs       {r.pairs['train']} train, {r.pairs['valid']} valid, {r.pairs['test']} test")
    if cfg.shared_vocab:
        echo(f"vocabulary  {r.vocab_size} shared BPE entries")
    else:
        echo(f"vocabulary  {r.vocab_size} source + {r.target_vocab_size} target BPE entries")
    echo(f"parameters  {r.parameters}")
    for m in r.members:
        who = f"member {m.seed - r.members[0].seed + 1} (seed {m.seed}): " if len(r.members) > 1 else ""
        echo(f"epochs      {who}{m.epochs} (best {m.best_epoch})")
        echo(f"valid loss  {who}{m.valid_loss:.4f} per token (label-smoothed)")
    echo(f"time        {r.seconds:.1f} s ({r.precision})")


def _check_named_languages(pairs: Sequence[str], tgt_given: bool, tgt: str) -> None:
    """Refuses a catalogue that names no language of its translations (:func:`unnamed_language`: a ``.qm``
    without a language section or a ``.ts`` without ``language`` (TS 2.0), either with no tag in its name;
    two keyed catalogues whose target has no tag in its name or folder) when no ``--tgt`` says it (before:
    its translations were taken for the default, ``de``, whatever their language, and the model named so)."""
    from carrousel.nlp.catalogue_languages import unnamed_language

    if not tgt_given and (unnamed := unnamed_language(pairs)):
        raise typer.BadParameter(
            f"{unnamed}, so the language of its translations is unknown; pass --tgt LANG (without it: {tgt})"
        )

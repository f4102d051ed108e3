"""``nlp sentiment train``: its flags, the config they make and the summary it prints.

:mod:`carrousel.nlp.cli.sentiment` registers :func:`train` as the group's first command; predict, evaluate
and export live there.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from carrousel.core.cli import Merged, bars_on, echo, epochs_option, merged_settings, refuse_merged
from carrousel.core.cli_config import merged, pick
from carrousel.core.cli_options import typed as typed_option
from carrousel.core.cli_values import Above, OutputFolder
from carrousel.core.config import MAX_THREADS
from carrousel.core.errors import ConfigError
from carrousel.core.option_names import file_key
from carrousel.nlp.cli._common import (
    Cell,
    ConfigFile,
    EmaDecay,
    FitPrecision,
    HeldOut,
    JsonFlag,
    Pooling,
    Teacher,
    TokenizerKind,
    TrainDevice,
    fit_settings,
    train_summary_shown,
    train_tables,
)
from carrousel.nlp.cli._sentiment_data import (
    Data,
    Header,
    LabelCol,
    MaxLen,
    Split,
    TextCol,
    data_config,
)
from carrousel.nlp.cli._sentiment_options import (
    Emoji,
    EmojiReading,
    Fold,
    FoldReading,
    FreezeEmbeddings,
    Hint,
    OovFallback,
    Threshold,
    Unk,
    UnkReading,
)
from carrousel.nlp.config import (
    FitConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TeacherConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.train_record import top_table

__all__ = ["train"]

_FOLD, _UNK = Fold(SentimentTrainConfig.fold), Unk(SentimentTrainConfig.unk)  # the config's defaults


def _files(paths: list[Path] | None) -> tuple[str, ...] | None:
    """Typed files as the config holds them; None when none was typed (the ``[teacher]`` table's stand)."""
    return tuple(str(p) for p in paths) if paths else None


def _refuse_oov_fallback(settings: Merged, error: type[Exception]) -> None:
    """``--oov-fallback`` (typed) maps words to vectors: it needs word tokens."""
    if settings["kind"] != "word":
        raise error(f"--oov-fallback needs --tokenizer word, not {settings['kind']}")


def train(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the model bundle."), OutputFolder()],
    data: Data = None,
    text_col: TextCol = None,
    label_col: LabelCol = None,
    split: Split = None,
    header: Header = None,
    max_length: MaxLen = None,
    tokenizer: Annotated[TokenizerKind | None, typer.Option(help="Tokenizer level [default: bpe].")] = None,
    vocab_size: Annotated[
        int | None, typer.Option(min=8, max=1_000_000, help="Vocabulary size [default: 8000].")
    ] = None,
    min_frequency: Annotated[
        int | None, typer.Option(min=1, help="Rarer pieces become [UNK] [default: 2].")
    ] = None,
    lowercase: Annotated[
        bool | None, typer.Option("--lowercase/--keep-case", help="[default: lowercase]")
    ] = None,
    embeddings: Annotated[
        Path | None,
        typer.Option(help="GloVe/word2vec text file to initialise embeddings (its size sets --embed-dim)."),
    ] = None,
    freeze_embeddings: FreezeEmbeddings = False,
    embed_dim: Annotated[int | None, typer.Option(min=1, help="Embedding size [default: 128].")] = None,
    hidden_size: Annotated[
        int | None, typer.Option(min=1, help="LSTM units per direction [default: 128].")
    ] = None,
    layers: Annotated[int | None, typer.Option(min=1, help="Stacked layers [default: 1].")] = None,
    cell: Annotated[Cell | None, typer.Option(help="Recurrent cell [default: lstm].")] = None,
    pooling: Annotated[Pooling | None, typer.Option(help="Pooling over tokens [default: attention].")] = None,
    dropout: Annotated[float | None, typer.Option(min=0.0, max=0.95, help="[default: 0.4]")] = None,
    epochs: Annotated[int | None, epochs_option("Most epochs [default: 15].")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="[default: 32]")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate [default: 0.002]."), Above(0.0)] = None,
    patience: Annotated[int | None, typer.Option(min=1, help="Early-stopping patience [default: 3].")] = None,
    val_fraction: HeldOut = None,
    seed: Annotated[int | None, typer.Option(min=0, help="[default: 0]")] = None,
    threads: Annotated[
        int | None, typer.Option(min=0, max=MAX_THREADS, help="CPU threads (0: torch's default).")
    ] = None,
    ema_decay: EmaDecay = None,
    exclude: Annotated[
        Path | None,
        typer.Option(
            help="Texts to keep out of training, e.g. a test set: a table (its text column) or data as --data."
        ),
    ] = None,
    teacher: Annotated[
        Teacher | None,
        typer.Option(
            help="Distil from this frozen sentence encoder (needs carrousel-nlp[teacher]); a --config file's "
            '[teacher] table (name = "minilm") turns it on too, and sets the --teacher options; flags win.'
        ),
    ] = None,
    unlabelled: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="--teacher: unlabelled texts, one per line, for the teacher to score ([teacher] unlabelled).",
        ),
    ] = None,
    ruled: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="--teacher: labelled rows (as --data, columns text and label) whose own labels stand in for "
            "the teacher's soft targets, e.g. negation pairs the teacher misreads ([teacher] ruled).",
        ),
    ] = None,
    augment: Annotated[
        int | None,
        typer.Option(
            min=0, max=100, help="--teacher: augmented copies per text ([teacher] augment) [default: 4]."
        ),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(min=0.01, help="--teacher: softmax temperature ([teacher] temperature) [default: 2]."),
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="--teacher: weight of the soft targets ([teacher] alpha) [default: 0.9]."
        ),
    ] = None,
    balance: Annotated[
        bool | None,
        typer.Option(
            "--balance/--no-balance",
            help="--teacher: keep a subset of the --unlabelled texts whose classes, as the teacher reads "
            "them, have the training rows' shares ([teacher] balance) [default: --balance].",
        ),
    ] = None,
    oov_fallback: OovFallback = None,
    hint: Hint = None,
    threshold: Annotated[
        Threshold,
        typer.Option(
            help="Two classes: the decision cut on the held-out rows (prior: predicted share = training "
            "share, on the held-out rows, with --teacher plus the training rows; accuracy/f1: maximised; "
            "none: argmax)."
        ),
    ] = Threshold.prior,
    emoji: EmojiReading = Emoji.names,
    fold: FoldReading = _FOLD,
    unk: UnkReading = _UNK,
    device: TrainDevice = None,
    precision: FitPrecision = None,
    config: ConfigFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Train a sentiment classifier (embedding -> BiLSTM -> attention pooling -> classifier)."""
    from carrousel.nlp.pipeline.sentiment import train_sentiment

    kinds = {"data": TextDataConfig, "tokenizer": TokenizerConfig, "model": SentimentNetConfig}
    kinds |= {"teacher": TeacherConfig}  # [teacher]: distillation on, its settings (flags win)
    tables = train_tables(config, kinds, {"data": {"source": data}} if data else None, SentimentTrainConfig)
    base, tok, net, fit, own = (tables[name] for name in ("data", "tokenizer", "model", "fit", "train"))
    tea = tables["teacher"]
    given = (augment, temperature, alpha, balance, oov_fallback, hint)
    if teacher is None and tea is None and (unlabelled or ruled or any(v is not None for v in given)):
        raise typer.BadParameter(
            "--unlabelled, --ruled, --augment, --temperature, --alpha, --balance, --oov-fallback and --hint "
            "need --teacher (or a [teacher] table in --config)"
        )
    flags: dict[str, Any] = {
        "exclude": str(exclude) if exclude else None,
        "embeddings": str(embeddings) if embeddings else None,
    }
    flags |= {"freeze_embeddings": freeze_embeddings, "threshold": threshold.value, "emoji": emoji.value}
    flags |= {"fold": fold.value, "unk": unk.value}  # [train] in the file: these when typed win over it
    typed = {k: v for k, v in flags.items() if typed_option(ctx, k)}
    cfg = SentimentTrainConfig(
        data=data_config(base, data, text_col, label_col, split, header, max_length),
        tokenizer=TokenizerConfig(
            kind=pick(tokenizer, tok, "kind", "bpe"), vocab_size=pick(vocab_size, tok, "vocab_size", 8000),
            min_frequency=pick(min_frequency, tok, "min_frequency", 2),
            lowercase=pick(lowercase, tok, "lowercase", True),
        ),
        model=merged(
            net, SentimentNetConfig(), embed_dim=embed_dim, hidden_size=hidden_size, num_layers=layers,
            cell=cell, pooling=pooling, dropout=dropout,
        ),
        fit=merged(
            fit, FitConfig(), epochs=epochs, batch_size=batch_size, lr=lr, patience=patience,
            val_fraction=val_fraction, seed=seed, threads=threads, ema_decay=ema_decay, device=device,
            precision=precision, progress=bars_on(),
        ),
        **asdict(merged(own, top_table(SentimentTrainConfig)(), **typed)),
        teacher=None
        if teacher is None and tea is None
        else merged(
            tea, TeacherConfig(), name=teacher, unlabelled=_files(unlabelled), ruled=_files(ruled),
            augment=augment, temperature=temperature, alpha=alpha, balance=balance, oov_fallback=oov_fallback,
            hint=hint,
        ),
    )  # fmt: skip
    if oov_fallback:  # the tokenizer the run reads: typed (a usage error), else the file's (named)
        in_file = {"kind": tok.given["kind"]} if tok is not None and "kind" in tok.given else {}
        kind = {"kind": tokenizer.value if tokenizer is not None else "bpe"}
        file = in_file if config is not None else None
        refuse_merged(
            _refuse_oov_fallback, merged_settings(ctx, kind, {"tokenizer": "kind"}, file, str(config))
        )
    elif cfg.teacher is not None and cfg.teacher.oov_fallback and cfg.tokenizer.kind != "word":
        raise ConfigError(  # [teacher] oov_fallback = true: the file's, named so
            f"{file_key('teacher.oov_fallback', str(config))}: the OOV fallback needs word tokens "
            f'([tokenizer] kind = "word" or --tokenizer word), not {cfg.tokenizer.kind}'
        )
    # the data came from the config: its messages name it, not --data (a missing or unreadable file too)
    from_file = (
        {"data.source": file_key("data.source", config) + ":"} if not data and config is not None else {}
    )
    for key, flag in (("text_col", text_col), ("label_col", label_col)):  # the file's columns: named so
        if flag is None and base is not None and key in base.given and config is not None:
            from_file[key] = file_key(f"data.{key}", config)
    if teacher is None and tea is not None:  # the table turned distillation on: named so (a missing wheel)
        from_file["teacher"] = f"[teacher] in {config}:"
    for key, files in (("unlabelled", unlabelled), ("ruled", ruled)):  # [teacher]'s files, typed none
        if not files and tea is not None and key in tea.given and config is not None:
            from_file[key] = file_key(f"teacher.{key}", config) + ":"
    with fit_settings(precision, config, from_file):
        result = train_sentiment(cfg, out)
    if not train_summary_shown(result, as_json):  # --json: the result; -q: nothing
        return
    echo(f"model         {result.out}")
    echo(f"labels        {', '.join(result.labels)}")
    echo(f"texts         {result.train_rows} trained on, {result.val_rows} held out for early stopping")
    echo(f"vocabulary    {result.vocab_size} ({cfg.tokenizer.kind})")
    if (rep := result.repeats).repeated_texts:
        echo(
            f"repeats       {rep.repeated_texts} texts repeat ({rep.repeated_rows} extra rows, "
            f"{rep.conflicting_texts} with different labels), each text's copies on one side of the split"
        )
    if result.teacher_val_accuracy is not None:
        echo(
            f"teacher       {cfg.teacher.name if cfg.teacher else ''}: held-out accuracy "
            f"{result.teacher_val_accuracy:.3f}; {result.transfer_rows} unlabelled/augmented texts scored"
        )
    echo(f"epochs        {result.epochs} (best {result.best_epoch})")
    echo(
        f"held out      accuracy {result.val_accuracy:.3f}, F1 {result.val_f1:.3f}, loss {result.val_loss:.3f} "
        f"(majority class: {result.majority_accuracy:.3f})"
    )
    if result.threshold is not None:
        echo(f"threshold     {result.threshold:.3f} on P({result.labels[1]}), chosen on the held-out rows")
    if (cut := result.val_at_threshold) is not None:  # the line "held out" is the argmax's
        echo(f"at the cut    held-out accuracy {cut['accuracy']:.3f}, F1 {cut['f1']:.3f} (the saved model's)")
    echo(f"time          {result.seconds:.1f} s ({result.precision})")

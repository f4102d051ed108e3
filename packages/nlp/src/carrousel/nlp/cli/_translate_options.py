"""The decoding options of ``nlp translate run`` and ``evaluate``, evaluate's own, and train's word placeholders
(typer annotations)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from carrousel.core.cli_values import NonBlank
from carrousel.nlp.config import MAX_LENGTH_PENALTY

__all__ = [
    "AttentionPlot",
    "BatchSize",
    "Beam",
    "BleuPlot",
    "BleuTokenize",
    "CapsNames",
    "CopyUnknown",
    "Coverage",
    "Ensemble",
    "FallbackClauses",
    "FallbackNll",
    "LengthPenalty",
    "LexicalBias",
    "Mbr",
    "MbrConfidence",
    "MbrCopy",
    "MbrDictionary",
    "MbrTemperature",
    "Model",
    "Pairs",
    "PoIn",
    "PoOut",
    "RareWords",
    "RunFile",
    "RunTexts",
    "Split",
    "TrainPairs",
    "UsageDictionary",
]

_PAIRS_HELP = (
    "A gettext catalogue (.mo, or its .po source: fuzzy drafts left out as msgfmt does), TSV "
    "(source<TAB>target) or JSONL file, a TMX translation memory (.tmx, .tmx.gz) or an XLIFF 1.2/2.x "
    "file (.xlf, .xliff: untranslated units left out), a Qt Linguist catalogue (.ts: unfinished messages left "
    "out, or the .qm lrelease compiles); TSV, JSONL, TMX, XLIFF, .ts, .qm and text files may be "
    "gzip-compressed (.tsv.gz); or twice: two keyed catalogues of one program, source language first, "
    "joined by key (Java .properties, Android strings.xml, JSON i18n .json, Apple .strings, .NET .resx), or "
    "two aligned text files; "
    "or an HF datasets translation set: a folder written by save_to_disk (FOLDER#split for a "
    "DatasetDict) or a hub name (NAME[:CONFIG][#split], e.g. wmt16:de-en#test)."
)
Pairs = Annotated[list[Path], typer.Option("--pairs", metavar="SOURCE", help=_PAIRS_HELP)]
TrainPairs = Annotated[
    list[Path] | None,
    typer.Option(
        "--pairs",
        metavar="SOURCE",
        help=_PAIRS_HELP + " [default: [data] pairs of --config]",
        show_default=False,
    ),
]
RareWords = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="With placeholders, source words seen at most this often in training are carried over whole,"
        " like unseen ones (0: off) [default: 0].",
    ),
]
CapsNames = Annotated[
    bool | None,
    typer.Option(
        "--caps-names/--no-caps-names",
        help="With placeholders, all-caps names (TIMEFORMAT, SHA1) that the training sources never write "
        "otherwise than in capitals are carried over whole [default: no-caps-names].",
    ),
]
Model = Annotated[Path, typer.Option("--model", help="Model folder written by 'nlp translate train'.")]
PoIn = Annotated[
    Path | None,
    typer.Option(
        "--po",
        metavar="CATALOGUE",
        help="Fill the untranslated messages of a gettext .po (or .pot) with fuzzy machine translations, "
        "every other line kept byte for byte; written to --out.",
    ),
]
PoOut = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="With --po: the filled catalogue (- or omitted: stdout; it may not be --po)."
    ),
]
RunTexts = Annotated[
    list[str] | None,
    typer.Argument(help="Texts to translate (before --file's lines).", show_default=False),
    NonBlank(),  # "" (an unset "$TEXT"): a usage error before the model loads
]
RunFile = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="Translate each line of a file (- reads stdin; not UTF-8: Windows-1252; a blank line: an empty "
        "one), after any TEXTS.",
    ),
]
Beam = Annotated[int, typer.Option("--beam", min=1, max=64, help="Beam size (1: greedy search).")]
LengthPenalty = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=MAX_LENGTH_PENALTY,
        help="GNMT length normalisation alpha of the beam search (0: off; GNMT used 0.6-1).",
    ),
]
Coverage = Annotated[float, typer.Option(min=0.0, help="GNMT coverage penalty beta (0: off).")]
BlockNgram = Annotated[
    int,
    typer.Option(
        min=0,
        help="N: no output may repeat an N-gram of its own tokens (OpenNMT's block_ngram_repeat; 0: off).",
    ),
]
BatchSize = Annotated[int, typer.Option(min=1, help="Sentences decoded together.")]
Ensemble = Annotated[
    list[Path] | None,
    typer.Option(
        "--ensemble",
        help="Another model trained on the same pairs and vocabulary (train --train-seed N), decoded with "
        "--model as one: their probabilities are averaged at each step. Repeat for more.",
        show_default=False,
    ),
]
CopyUnknown = Annotated[
    bool,
    typer.Option(
        "--copy-unknown/--no-copy-unknown",
        help="Replace output words attending to a source word unseen in training by that word.",
    ),
]
LexicalBias = Annotated[
    float,
    typer.Option(
        min=0.0,
        help="Weight of the training pairs' subword lexicon as a bias on the output, "
        "lambda * log(p_lex + 0.001) (0: off).",
    ),
]
FallbackNll = Annotated[
    float,
    typer.Option(
        min=0.0,
        help="Where the model's mean -log p per output token is above this, use the word dictionary's "
        "translation (0: off).",
    ),
]

Mbr = Annotated[
    bool,
    typer.Option(
        "--mbr/--no-mbr",
        help="Consensus (minimum Bayes risk, sentence chrF): pick among the beam's n-best, the word "
        "dictionary's translation and (--mbr-copy) the source the one the others agree with most.",
    ),
]


def _positive(value: float) -> float:
    if not value > 0:
        raise typer.BadParameter(f"{value} is not above 0; give e.g. 1.0")
    return value


MbrTemperature = Annotated[
    float, typer.Option(callback=_positive, help="With --mbr: n-best weights softmax(log p / T), T > 0.")
]
MbrDictionary = Annotated[
    float,
    typer.Option(min=0.0, help="With --mbr: the dictionary translation's weight beside the n-best's 1."),
]
MbrCopy = Annotated[
    float, typer.Option(min=0.0, help="With --mbr: the copied source's weight (0: not a candidate).")
]

MbrConfidence = Annotated[
    float,
    typer.Option(
        min=0.0,
        help="With --mbr: the n-best weigh exp(-S * mean -log p of the best) together instead of 1 (0: 1).",
    ),
]
FallbackClauses = Annotated[
    bool,
    typer.Option(
        "--fallback-clauses/--no-fallback-clauses",
        help="A text the dictionary fallback takes is translated again clause by clause (cut at : ; , . ! ? "
        "and brackets): the dictionary translates only the clauses the model is unsure of.",
    ),
]
UsageDictionary = Annotated[
    bool,
    typer.Option(
        "--usage-dictionary/--no-usage-dictionary",
        help="Usage (synopsis) lines, told by the source's shape (a command word, then only options, [...] and "
        "<...> groups, |, ... and a few words), are translated word by word by the dictionary.",
    ),
]
UsageCommands = Annotated[
    bool,
    typer.Option(
        "--usage-commands/--no-usage-commands",
        help="In a usage (synopsis) line, the command words before the first option or group (git remote "
        "add), and the same words again after an or (... or history -c), are kept as written (masked as "
        "placeholders the network copies); the network translates the rest.",
    ),
]


class Split(enum.StrEnum):
    """Which pairs of a file ``evaluate`` scores."""

    all = "all"
    test = "test"
    valid = "valid"


AttentionPlot = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        metavar="FILE.png",
        help="Write a PNG of the first translation's attention (a heat map of target against source pieces).",
    ),
]
BleuPlot = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        metavar="FILE.png",
        help="Write a PNG of the corpus BLEU/chrF of each system (bars) and the sentence chrF of the network, "
        "the dictionary and the copy by source length.",
    ),
]


def _bleu_tokenize(value: str) -> str:
    from carrousel.nlp.bleu_tokenize import BLEU_TOKENIZE_CHOICES

    if value not in BLEU_TOKENIZE_CHOICES:
        raise typer.BadParameter(f"{value!r} is not a BLEU tokenizer; use {', '.join(BLEU_TOKENIZE_CHOICES)}")
    return value


BleuTokenize = Annotated[
    str,
    typer.Option(
        callback=_bleu_tokenize,
        metavar="NAME",
        help="sacrebleu's BLEU tokenizer: auto (by the target language: zh for Chinese, ja-mecab or char for "
        "Japanese, char for Thai, Lao, Khmer, Myanmar, 13a otherwise), 13a, intl, zh, char, ja-mecab, "
        "ko-mecab or none.",
    ),
]

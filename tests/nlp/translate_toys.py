"""Toy translation data shared by the translate tests: a tiny translator trained through the CLI, one
trained from Python on given pairs, and id pairs for the pointer-generator (words translated, names copied)."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.nlp.cli import main
from carrousel.nlp.config import (
    FitConfig,
    TokenizerConfig,
    TranslateDataConfig,
    TranslateNetConfig,
    TranslateTrainConfig,
)
from carrousel.nlp.pipeline.translate import train_translator

COMMANDS = {"open": "öffne", "the": "die", "file": "Datei", "close": "schließe", "read": "lies", "a": "eine"}


def cli_translator(folder: Path, *flags: str) -> Path:
    """A tiny translator trained by ``nlp translate train`` (2 epochs, batches of 64) on up to 400 toy
    English -> German command pairs over :data:`COMMANDS`, written to ``folder``; ``flags`` come last (an
    option given again takes their value). Returns the bundle folder ``folder / "m"``."""
    rng = random.Random(0)
    rows = {" ".join(rng.choice(list(COMMANDS)) for _ in range(rng.randint(1, 4))) for _ in range(400)}
    pairs = folder / "pairs.tsv"
    lines = ["en\tde"] + [f"{r}\t{' '.join(COMMANDS[w] for w in r.split())}" for r in sorted(rows)]
    pairs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["--vocab-size", "60", "--embed-dim", "16", "--hidden-size", "32", "--epochs", "2", "--lr", "0.01"]
    args += ["--members", "1"]  # one network unless flags say otherwise
    out = folder / "m"
    argv = sys.argv
    sys.argv = [
        "nlp",
        "translate",
        "train",
        "--pairs",
        str(pairs),
        "-o",
        str(out),
        *args,
        "--batch-size",
        "64",
    ]
    sys.argv += [*flags, "-q", "--json"]
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = argv
    assert not done.value.code
    return out


def tiny_translator(
    folder: Path, rows: Iterable[tuple[str, str]], *, vocab: int, epochs: int, **fields: Any
) -> Path:
    """A tiny word-for-word translator trained by :func:`train_translator` on ``rows`` (sorted, one TSV line
    each) with a ``vocab``-piece BPE for ``epochs`` (32-d embeddings, 64 hidden units, no dropout, batches
    of 32, lr 0.01, one network, no case variation); ``fields`` set further :class:`TranslateTrainConfig`
    fields (``caps_names``, ``rare_words``). Returns the bundle folder ``folder / "model"``."""
    path = folder / "pairs.tsv"
    path.write_text("".join(f"{s}\t{t}\n" for s, t in sorted(rows)), encoding="utf-8")
    cfg = TranslateTrainConfig(
        data=TranslateDataConfig(pairs=(str(path),)),
        tokenizer=TokenizerConfig("bpe", vocab, 1, False),
        model=TranslateNetConfig(embed_dim=32, hidden_size=64, dropout=0.0),
        fit=FitConfig(epochs=epochs, batch_size=32, lr=1e-2, progress=False, threads=1),
        case_variation=0.0,
        members=1,
        **fields,
    )
    out = folder / "model"
    train_translator(cfg, out)
    return out


def symbol_pairs(
    n: int, seed: int, words: list[int], names: list[int], target: Callable[[int], int]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Toy id pairs for the pointer: 3-6 ``words`` with one or two ``names`` among them; the target maps
    every source id through ``target`` (a word to its translation, a name to its copy), then ``[EOS]`` (3)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = [rng.choice(words) for _ in range(rng.randint(3, 6))]
        for _ in range(rng.randint(1, 2)):
            s.insert(rng.randint(0, len(s)), rng.choice(names))
        out.append((np.array(s), np.array([*(target(x) for x in s), 3])))
    return out

"""How a corpus spec names its corpus: ``[PREFIX:]PATH[#SPLIT]``, or ``sample:GROUP``.

One reading for :func:`carrousel.speech.data.load_corpus`, which loads the corpus, and for the training
record (:mod:`carrousel.speech.training_record`), which makes its path absolute.
"""

from __future__ import annotations

from carrousel.speech.corpora import CORPORA

__all__ = ["CORPUS_PREFIXES", "corpus_parts"]

# The prefixes that force a layout: ``librispeech:ROOT``; the last, corpora.py's (kaldi:, ljspeech:, vctk:, timit:)
CORPUS_PREFIXES: tuple[str, ...] = ("sample", "manifest", "commonvoice", "folder", "librispeech")
CORPUS_PREFIXES += ("speechcommands", "audiofolder", *CORPORA)


def corpus_parts(spec: str) -> tuple[str, str, str | None]:
    """``(kind, target, split)`` of ``spec``: its layout prefix (``""``: none), its path (a ``sample:`` spec:
    its group, whole) and what follows its ``#`` (None: no ``#``): ``"kaldi:data/train#dev"`` -> ``("kaldi",
    "data/train", "dev")``, ``"a.tsv"`` -> ``("", "a.tsv", None)``."""
    kind, _, target = spec.partition(":")
    if kind not in CORPUS_PREFIXES or not target:
        kind, target = "", spec
    if kind == "sample":
        return kind, target, None
    path, hash_, split = target.partition("#")
    return kind, path, split if hash_ else None

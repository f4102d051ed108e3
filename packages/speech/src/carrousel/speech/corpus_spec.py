"""How a corpus spec names its corpus: ``[PREFIX:]PATH[#SPLIT]``, or ``sample:GROUP``; what a spec that
finds nothing is told.

One reading for :func:`carrousel.speech.data.load_corpus`, which loads the corpus, and for the training
record (:mod:`carrousel.speech.training_record`), which makes its path absolute.
"""

from __future__ import annotations

from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.text import counted
from carrousel.speech.audio import AUDIO_SUFFIXES
from carrousel.speech.corpora import CORPORA

__all__ = ["CORPUS_PREFIXES", "corpus_parts", "nothing_found"]

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


@check_args
def nothing_found(where: str, root: Path, listed: bool) -> str:
    """The line for corpus ``where`` (at ``root``) with no transcribed recording; ``listed``: it listed some,
    all with an empty transcript. A folder of recordings alone is told it holds N audio files but no
    transcripts (before: "no transcribed recordings found"), and how to give them."""
    n = 0 if listed or not root.is_dir() else sum(p.suffix.lower() in AUDIO_SUFFIXES for p in root.rglob("*"))
    found = f"holds {counted(n, 'audio file')} but no transcripts" if n else "no transcribed recordings found"
    return (
        f"{where}: {found}; give a manifest (path<TAB>transcript), a .txt transcript beside each recording "
        "(a.wav and a.txt: what it says), an audiofolder, a Kaldi data directory, a Common Voice, LibriSpeech,"
        " Speech Commands, LJSpeech, VCTK or TIMIT root"
    )

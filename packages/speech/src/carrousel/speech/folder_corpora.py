"""Corpora found by their files alone: a folder of recordings with same-name transcripts, a LibriSpeech
tree, a Speech Commands tree.

Each reader returns the rows a manifest gives (:class:`~carrousel.speech.manifests.ManifestRow`:
recording, transcript as written, seconds when known, speaker); :mod:`carrousel.speech.data` normalises
them into utterances and reads every recording's header.

* :func:`folder_rows`: recordings (``audio.AUDIO_SUFFIXES``) each with a ``.txt`` or ``.lab`` of the same
  name (``a.txt``, or ``a.wav.txt`` as whisper.cpp writes), the suffixes in any case (``A.WAV`` and
  ``A.TXT``); recordings without one are left out, counted in one warning naming the first (before:
  silently, and ``A.TXT`` or ``a.wav.txt`` was not found).
* :func:`librispeech_rows`: ``SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt`` with ``ID TEXT`` lines, the
  recording ``ID.flac`` or, converted, ``ID.wav`` (any suffix ``AUDIO_SUFFIXES`` names; before: ``ID.flac``
  only, so a converted tree was refused as "ID.flac: no such file"); a ``*.trans.txt`` file alone is its
  chapter.
* :func:`speech_commands_rows`: ``WORD/SPEAKER_nohash_N.wav``, one split from ``testing_list.txt`` and
  ``validation_list.txt``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from carrousel.core.encodings import file_lines
from carrousel.speech.audio import AUDIO_SUFFIXES
from carrousel.speech.errors import CorpusError
from carrousel.speech.manifests import ManifestRow, read_transcript

__all__ = ["folder_rows", "is_librispeech_transcript", "librispeech_rows", "speech_commands_rows"]

logger = logging.getLogger(__name__)

_LIBRI = ".trans.txt"  # a LibriSpeech chapter's transcripts


def folder_rows(root: Path) -> list[ManifestRow]:
    """Recordings under ``root`` (recursively) with a same-name ``.txt`` or ``.lab`` transcript."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    labels = {(p.parent, p.stem, p.suffix.lower()): p for p in files if p.suffix.lower() in (".txt", ".lab")}
    out, untranscribed = [], []
    for audio in (p for p in files if p.suffix.lower() in AUDIO_SUFFIXES):
        keys = [(audio.parent, name, ext) for ext in (".txt", ".lab") for name in (audio.stem, audio.name)]
        if label := next((labels[k] for k in keys if k in labels), None):  # a.txt, a.wav.txt (whisper.cpp's)
            out.append(ManifestRow(audio, read_transcript(label), None, ""))
        else:
            untranscribed.append(audio)
    if out and untranscribed:  # none at all: the caller's "holds N audio files but no transcripts"
        logger.warning(
            "%s: %d of %d recordings have no same-name .txt or .lab transcript and are left out (the first: %s);"
            " give each one (an empty file for a recording without speech) or move them out of the folder",
            root,
            len(untranscribed),
            len(out) + len(untranscribed),
            untranscribed[0].name,
        )
    return out


def is_librispeech_transcript(path: Path) -> bool:
    """True for a LibriSpeech chapter's ``SPEAKER-CHAPTER.trans.txt``."""
    return path.is_file() and path.name.lower().endswith(_LIBRI)


def _recording(folder: Path, uid: str, audio: dict[str, Path]) -> Path:
    """``ID.flac``, else the chapter's other recording named ``ID`` (a tree converted to WAV)."""
    flac = folder / f"{uid}.flac"
    return flac if flac.is_file() else audio.get(uid, flac)  # none: the .flac, which the header check names


def librispeech_rows(root: Path) -> list[ManifestRow]:
    """A LibriSpeech tree (or one chapter's ``*.trans.txt``); the speaker is the ID's first part."""
    out = []
    for trans in [root] if root.is_file() else sorted(root.rglob(f"*{_LIBRI}")):
        audio = {p.stem: p for p in sorted(trans.parent.iterdir()) if p.suffix.lower() in AUDIO_SUFFIXES}
        for line in file_lines(read_transcript(trans)):
            uid, _, words = line.strip().partition(" ")
            if uid:
                out.append(ManifestRow(_recording(trans.parent, uid, audio), words, None, uid.split("-")[0]))
    return out


def speech_commands_rows(root: Path, split: str | None = None) -> list[ManifestRow]:
    """A Speech Commands tree: ``WORD/SPEAKER_nohash_N.wav``; ``split`` train, validation or test."""
    lists = {}
    for name, file in (("test", "testing_list.txt"), ("validation", "validation_list.txt")):
        f = root / file
        lists[name] = set(f.read_text(encoding="utf-8").split()) if f.is_file() else set()
    if split not in (None, "train", "validation", "test"):
        raise CorpusError(f"unknown Speech Commands split {split!r}; use #train, #validation or #test")
    out = []
    for wav in sorted(root.glob("*/*.wav")):
        word = wav.parent.name
        if word.startswith("_"):
            continue
        rel = f"{word}/{wav.name}"
        where = "test" if rel in lists["test"] else "validation" if rel in lists["validation"] else "train"
        if split is None or split == where:
            out.append(ManifestRow(wav, word, None, wav.name.split("_")[0]))
    return out

"""Corpora (transcribed recordings) and the training dataset built from them.

A corpus is named by a path, its layout detected (or forced with a prefix):

* a manifest, one utterance per line: ``.tsv`` with a header (``path<TAB>transcript``, optional
  ``speaker`` and ``seconds``; Common Voice's ``test.tsv``), ``.csv`` (an audiofolder's ``metadata.csv``)
  or ``.jsonl`` (NeMo's), its columns found by their usual names, a row's ``offset`` + ``duration`` or
  ``start`` / ``end`` naming a part of a long recording (see :mod:`carrousel.speech.manifests`);
* a Mozilla Common Voice language folder (``clips/`` and one TSV per split; ``commonvoice:``), one split
  at a time: ``ROOT#test`` reads ``ROOT/test.tsv`` (``#dev``, ``#train``, ``#validated``, ...);
* a folder of recordings each with a ``.txt`` (or ``.lab``) transcript of the same name (``folder:``; the
  others are left out with a warning);
* a LibriSpeech root (``*.trans.txt`` files, recordings ``ID.flac`` or converted ``ID.wav``; one
  chapter's ``*.trans.txt`` alone too; ``librispeech:``);
* a Speech Commands root (one folder per word; ``speechcommands:ROOT#test`` takes the split of
  ``testing_list.txt``, ``#validation`` of ``validation_list.txt``, ``#train`` the rest);
* a Hugging Face ``datasets`` audiofolder (recordings + ``metadata.csv``/``.jsonl`` with ``file_name``
  and ``transcription``; ``audiofolder:ROOT#SPLIT`` for one split; see :mod:`carrousel.speech.hfdata`);
* a Kaldi or ESPnet data directory (``wav.scp``, ``text``, optional ``utt2spk`` and ``segments``;
  ``kaldi:``), an LJSpeech root (``ljspeech:``), a VCTK root (``vctk:``, ``ROOT#mic2``) or a TIMIT root
  (``timit:``, ``ROOT#train``/``#test``): see :mod:`carrousel.speech.corpora`;
* ``sample:GROUP``: real recordings cached by ``make data`` (see :mod:`carrousel.speech.samples`).

Transcripts are normalised (:func:`carrousel.speech.text.normalize`); an empty one marks a recording without
speech (noise, silence: its answer is nothing), one with no letter or digit is left out. :class:`SpeechDataset` reads the
audio (kept in memory as 16-bit samples after the first epoch), applies the training augmentation and
computes features; :func:`make_loader` batches utterances of similar length.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from carrousel.core.args import check_args, check_seed
from carrousel.core.data import BucketBatchSampler, SequenceCollator
from carrousel.core.errors import DataError
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.speech import augment as aug
from carrousel.speech.audio import AUDIO_SUFFIXES, audio_info, read_audio, read_sphinx_mfc
from carrousel.speech.config import AugmentConfig
from carrousel.speech.corpora import CORPORA, corpus_kind, read_corpus
from carrousel.speech.corpus_spec import corpus_parts, nothing_found
from carrousel.speech.errors import AudioError, CorpusError, SpeechConfigError
from carrousel.speech.features import FeatureExtractor, check_sphinx_front_end, spec_augment
from carrousel.speech.folder_corpora import (
    folder_rows,
    is_librispeech_transcript,
    librispeech_rows,
    speech_commands_rows,
)
from carrousel.speech.hfdata import is_audiofolder, read_audiofolder
from carrousel.speech.manifests import common_voice_manifest, is_common_voice, read_manifest
from carrousel.speech.samples import GROUPS, sample_recordings
from carrousel.speech.segments import SegmentTimes
from carrousel.speech.task import ctc_frames_needed
from carrousel.speech.text import Alphabet, drop_markers, number_readings

__all__ = [
    "SpeechDataset",
    "Utterance",
    "load_corpora",
    "load_corpus",
    "make_loader",
    "split_utterances",
    "trainable",
    "with_durations",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Utterance:
    """One transcribed recording."""

    path: str  # audio file (or a Sphinx .mfc feature file)
    text: str  # normalised transcript
    seconds: float | None = None  # duration, when known
    speaker: str = ""  # speaker or voice, when known
    readings: tuple[str, ...] = ()  # other normalised readings of text ("7392" digit by digit), for WER
    no_speech: bool = False  # the transcript was empty: noise or silence, to be transcribed as nothing


def _utterance(path: Path, text: str, seconds: float | None = None, speaker: str = "") -> Utterance:
    text = drop_markers(text)  # [noise], <unk>: every layout's, here only (the readers keep them)
    first, *others = number_readings(text)
    return Utterance(str(path), first, seconds, speaker, tuple(others), not text.strip())


def read_folder(root: Path) -> list[Utterance]:
    """Recordings with a same-name ``.txt`` or ``.lab`` transcript (:func:`~carrousel.speech.folder_corpora.folder_rows`)."""
    return [_utterance(*row) for row in folder_rows(root)]


def read_librispeech(root: Path) -> list[Utterance]:
    """A LibriSpeech tree or chapter (:func:`~carrousel.speech.folder_corpora.librispeech_rows`)."""
    return [_utterance(*row) for row in librispeech_rows(root)]


def read_speech_commands(root: Path, split: str | None = None) -> list[Utterance]:
    """A Speech Commands tree; ``split`` train, validation or test."""
    return [_utterance(*row) for row in speech_commands_rows(root, split)]


def load_corpus(spec: str, name: str = "data") -> list[Utterance]:
    """Utterances of one corpus (see the module docstring for the layouts and prefixes).

    ``name`` is the setting that gave ``spec`` (``data``, ``val_data``, ``train_data``): messages name it,
    as ``--val-data SPEC`` in a command.

    Every recording's header is read here, as the corpus is listed (the samples are read later): one
    that is missing, not audio, empty, without samples or cut short is refused before any work, naming
    its row where the layout has rows (:mod:`carrousel.speech.segments`). Durations come from those
    headers where the corpus gives none, so :func:`with_durations` reads no header again.

    Raises:
        CorpusError: nothing found, an unknown layout, a malformed manifest, or a recording that cannot
            be read.
    """
    kind, target, split = corpus_parts(spec)
    if kind == "sample":
        if target not in GROUPS:
            raise CorpusError(f"unknown sample group {target!r}; choose one of {', '.join(GROUPS)}")
        try:
            return [_utterance(p, t, speaker=target) for p, t in sample_recordings(target)]
        except DataError as exc:
            raise CorpusError(str(exc)) from None
    path = user_path(target)  # "manifest:~/m.tsv" too: the prefix is no part of the path
    if not path.exists():
        raise CorpusError(f"{option(name, str(path))}: no such file or folder; check the path")
    if not kind and path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES:  # not a manifest's binary bytes
        raise CorpusError(
            f"{option(name, str(path))} is a recording, not a corpus: give a manifest (path<TAB>transcript) or a folder of"
            f" recordings with .txt transcripts (to transcribe it: speech transcribe {path})"
        )
    rows = True  # a layout whose reader names each recording's row as it reads its header
    if manifest := kind == "manifest" or (
        not kind and path.is_file() and not is_librispeech_transcript(path)
    ):
        utts = [_utterance(*row) for row in read_manifest(path)]
    elif kind == "commonvoice" or (not kind and is_common_voice(path)):
        utts = [_utterance(*row) for row in read_manifest(common_voice_manifest(path, split or None))]
    elif kind in CORPORA or (not kind and (kind := corpus_kind(path) or "")):
        utts = [_utterance(*row) for row in read_corpus(kind, path, split or None)]
        rows = kind in ("kaldi", "ljspeech")
    elif kind == "librispeech" or (not kind and (path.is_file() or next(path.rglob("*.trans.txt"), None))):
        utts, rows = read_librispeech(path), False
    elif kind == "audiofolder" or (not kind and is_audiofolder(path)):
        utts, rows = (
            [_utterance(Path(p), t, speaker=v) for p, t, v in read_audiofolder(path, split or None)],
            False,
        )
    elif kind == "speechcommands" or (not kind and ((path / "testing_list.txt").is_file() or split)):
        utts, rows = read_speech_commands(path, split or None), False
    else:
        utts, rows = read_folder(path), False
    where = option(name, spec)  # the corpus as messages name it: --data SPEC / data='SPEC'
    if not rows:  # the other layouts: each recording's header read here, its length kept for with_durations
        times = SegmentTimes()
        lengths = [times.recording(Path(u.path), where) for u in utts]
        utts = [
            u if u.seconds is not None else replace(u, seconds=s) for u, s in zip(utts, lengths, strict=True)
        ]
    kept = [u for u in utts if u.text or u.no_speech]
    if left_out := len(utts) - len(kept):
        note = "no transcript (no letter or digit) and are left out"
        logger.warning("%s: %d of %d recordings have %s", where, left_out, len(utts), note)
    if silent := sum(u.no_speech for u in kept):
        logger.info("%s: %d recordings without speech (empty transcript)", where, silent)
    if not kept and manifest:  # before: "no transcribed recordings found; give a manifest", to a manifest
        listed = (
            f": none of its {len(utts)} rows has a transcript (a letter or digit)"
            if utts
            else " holds no rows"
        )
        raise CorpusError(f"{where}{listed}; give a row per recording, with its path and what it says")
    utts = kept
    if not utts:  # before: a folder of recordings alone was "no transcribed recordings found"
        raise CorpusError(nothing_found(where, path, listed=bool(left_out)))
    return utts


@check_args
def load_corpora(
    specs: tuple[str, ...] | list[str], limit: int | None = None, seed: int = 0, name: str = "data"
) -> list[Utterance]:
    """Utterances of several corpora (setting ``name``: messages say so), optionally ``limit`` of them."""
    utts = [u for spec in specs for u in load_corpus(spec, name)]
    if limit is not None and len(utts) > limit:
        utts = random.Random(seed).sample(utts, limit)
    return utts


@check_args
def split_utterances(
    utts: list[Utterance], fraction: float, seed: int
) -> tuple[list[Utterance], list[Utterance]]:
    """A seeded ``(training, held-out)`` split holding out ``fraction`` of ``utts`` (at least one if > 0)."""
    order = list(range(len(utts)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(fraction * len(utts))) if fraction > 0 else 0
    return [utts[i] for i in order[n_val:]], [utts[i] for i in order[:n_val]]


def with_durations(utts: list[Utterance]) -> list[Utterance]:
    """Fills missing durations from the files' headers (``.mfc``: 10 ms per frame); drops unreadable files
    (a corpus :func:`load_corpus` lists has none: it refuses them, and gives the durations it read)."""
    out = []
    for u in utts:
        if u.seconds is not None:
            out.append(u)
            continue
        try:
            mfc = u.path.endswith(".mfc")
            seconds = (Path(u.path).stat().st_size - 4) / 5200 if mfc else audio_info(u.path).seconds
        except (AudioError, OSError) as exc:
            logger.warning("skipping %s: %s", u.path, exc)
            continue
        out.append(replace(u, seconds=seconds))
    return out


def trainable(
    utts: list[Utterance], alphabet: Alphabet, frame_seconds: float, max_seconds: float
) -> tuple[list[Utterance], dict[str, int]]:
    """Utterances CTC can learn from: not over ``max_seconds``, with at least the output frames
    (``frame_seconds`` each) their transcript needs, and a transcript in the alphabet.

    Returns:
        The kept utterances and counts of the dropped ones by reason.
    """
    kept: list[Utterance] = []
    dropped = {"too_long": 0, "too_short_for_transcript": 0, "no_known_characters": 0}
    for u in utts:
        try:
            target = alphabet.encode(u.text, u.path) if u.text else []  # no speech: all blank
        except CorpusError:
            dropped["no_known_characters"] += 1
            continue
        seconds = u.seconds or 0.0
        if seconds > max_seconds:
            dropped["too_long"] += 1
        elif int(seconds / frame_seconds) < ctc_frames_needed(target):
            dropped["too_short_for_transcript"] += 1
        else:
            kept.append(u)
    return kept, dropped


class SpeechDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Features and encoded transcripts of utterances, with on-the-fly augmentation.

    Args:
        utterances: the corpus (durations filled).
        extractor: the feature front end.
        alphabet: the model's output classes.
        augment: training augmentation (None at evaluation).
        seed: seeds the augmentation (with the epoch and the utterance's index; >= 0).
        cache: keep decoded audio in memory (16-bit; the first read gives these samples too).
    """

    @check_args
    def __init__(
        self,
        utterances: list[Utterance],
        extractor: FeatureExtractor,
        alphabet: Alphabet,
        augment: AugmentConfig | None = None,
        seed: int = 0,
        cache: bool = True,
    ) -> None:
        check_seed(seed, "SpeechDataset", error=SpeechConfigError)  # up front, augmented or not
        self.utterances = utterances
        self.extractor, self.alphabet, self.augment = extractor, alphabet, augment
        if mfc := next((u.path for u in utterances if u.path.endswith(".mfc")), None):
            check_sphinx_front_end(extractor.config, mfc)  # before any work, not as garbage features
        self.targets = [
            torch.tensor(alphabet.encode(u.text, u.path) if u.text else [], dtype=torch.long)
            for u in utterances
        ]
        self.seed = seed
        self.cache: dict[int, np.ndarray] | None = {} if cache else None

    def __len__(self) -> int:
        return len(self.utterances)

    @check_args
    def frames(self, i: int) -> int:
        """Feature frames of utterance ``i`` (from its duration)."""
        cfg = self.extractor.config
        return self.extractor.num_frames(round((self.utterances[i].seconds or 0.0) * cfg.sample_rate))

    @check_args
    def audio(self, i: int) -> np.ndarray:
        """Mono float32 audio of utterance ``i`` at the feature rate."""
        if self.cache is None or i not in self.cache:
            x = read_audio(self.utterances[i].path, self.extractor.config.sample_rate, allow_silent=True)
            if self.cache is None:
                return x
            self.cache[i] = np.round(np.clip(x, -1, 1) * 32767).astype(np.int16)
        return self.cache[i].astype(np.float32) / 32767.0  # the first read too: alike in every worker

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Features ``(frames, size)`` and target of utterance ``i`` (``key``: ``i``, or ``(epoch, i)``).

        Augmented from a stream seeded by ``(seed, epoch, i)`` alone (``i``: epoch 0), in one intra-op
        thread, as in a loader worker: the same features in any process, for any number of workers.
        """
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # resampling's result depends on the thread count (and 1 is faster)
        try:
            return self._item(*(key if isinstance(key, tuple) else (0, key)))
        finally:
            torch.set_num_threads(threads)

    def _item(self, epoch: int, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        path = self.utterances[i].path
        if path.endswith(".mfc"):
            feats = self.extractor.normalize(torch.from_numpy(read_sphinx_mfc(path)))
            return feats, self.targets[i]
        if self.augment is None:
            return self.extractor(self.audio(i)), self.targets[i]
        rng, gen = aug.streams(self.seed, epoch, i)
        x, warp = aug.perturb(self.audio(i), self.augment, rng)
        return spec_augment(self.extractor(x, warp), self.augment, gen), self.targets[i]


class _EpochBatches(BucketBatchSampler):
    """Batches of ``(epoch, index)`` pairs: a worker started in an earlier epoch still knows the epoch."""

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:  # type: ignore[override]
        epoch, batches = self.epoch, super().__iter__()  # the epoch as the loader's iteration starts
        return ([(epoch, i) for i in batch] for batch in batches)


@check_args
def make_loader(
    dataset: SpeechDataset,
    batch_seconds: float,
    shuffle: bool,
    seed: int = 0,
    workers: int = 0,
    pin_memory: bool = False,
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """Length-bucketed batches of about ``batch_seconds`` of audio, collated with their lengths.

    With ``workers > 0`` audio reading, augmentation and features run in that many worker processes
    (kept across epochs), beside the training step; the batches, and the augmentation of every utterance
    in every epoch, are the same for any ``workers``. With ``pin_memory`` the batches are page-locked (for
    a trainer on CUDA: :func:`carrousel.core.device.pin_memory_for`).
    """
    lengths = [max(dataset.frames(i), 1) for i in range(len(dataset))]
    mean_seconds = float(np.mean([u.seconds or 1.0 for u in dataset.utterances]))
    batch_size = max(1, min(len(dataset), round(batch_seconds / max(mean_seconds, 0.1))))
    sampler = _EpochBatches(lengths, batch_size, shuffle=shuffle, seed=seed)
    collate = SequenceCollator(sequence_targets=True)
    gen = torch.Generator().manual_seed(seed)  # each epoch's start draws here, not from the global RNG
    kw: dict[str, Any] = {"batch_sampler": sampler, "collate_fn": collate, "generator": gen}
    kw["pin_memory"] = pin_memory  # pinned in the main process, from the workers' batches too
    if workers:
        # persistent workers, each running one intra-op thread (DataLoader sets it)
        return DataLoader(dataset, **kw, num_workers=workers, persistent_workers=True)
    return DataLoader(dataset, **kw)

"""Classic ASR corpus layouts: Kaldi (and ESPnet) data directories, LJSpeech, VCTK and TIMIT roots.

Each reader returns the rows a manifest gives (:class:`~carrousel.speech.manifests.ManifestRow`:
recording, transcript as written, seconds when known, speaker); :func:`corpus_kind` recognises a root,
:func:`read_corpus` reads it (forced with the layout's name as a prefix, ``kaldi:data/test``):

* ``kaldi``: a data directory holding ``wav.scp`` (``RECORDING PATH``) and ``text`` (``UTTERANCE
  TRANSCRIPT``), optionally ``utt2spk`` (``UTTERANCE SPEAKER``) and ``segments`` (``UTTERANCE RECORDING
  START END`` in seconds, ``END`` -1 for the recording's end): each utterance is then that part of its
  recording (:func:`carrousel.speech.audio.segment_path`), its times checked against the recording's length
  (:mod:`carrousel.speech.segments`). A relative path is read from the current
  directory, where a Kaldi recipe's scripts run and write it from, else from the data directory.
  Every recording's header is read as the directory is listed: one that is not audio, empty or cut
  short is refused naming its ``wav.scp`` (or ``segments``) line. Entries that are commands
  (``sph2pipe -f wav x.sph |``) or archive offsets (``raw.ark:1234``) are refused: the recordings must
  be files. Noise and unknown-word markers written as whole words (``[noise]``, ``[laughter]``,
  ``<unk>``) are kept here, as written, and dropped with every layout's
  (:func:`carrousel.speech.text.drop_markers`, in :mod:`carrousel.speech.data`).
* ``ljspeech``: ``metadata.csv`` without a header, ``ID|text|normalized text`` per line (the third
  column when present), recordings ``wavs/ID.wav``; the speaker is the root's folder name.
* ``vctk``: 0.92 (``wav48_silence_trimmed/p225/p225_001_mic1.flac``) or 0.80 (``wav48/p225/p225_001.wav``)
  with ``txt/p225/p225_001.txt``; the speaker is the folder; 0.92's first microphone unless ``ROOT#mic2``;
  recordings without a transcript (all of p315's) are counted in one line and left out.
* ``timit``: ``TRAIN/DR1/FCJF0/SA1.WAV`` (NIST SPHERE) with ``SA1.TXT`` (``0 46797 She had ...``: the text
  after the two sample numbers), in either case; the speaker is the folder; ``ROOT#train`` or ``#test`` for
  one split (both without); a split folder (``TIMIT/TRAIN``) or a folder holding ``TIMIT/`` are read too.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from carrousel.core.encodings import file_lines
from carrousel.core.files import read_text
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.speech.audio import AUDIO_SUFFIXES, audio_info
from carrousel.speech.errors import AudioError, CorpusError
from carrousel.speech.manifests import ManifestRow, read_transcript
from carrousel.speech.segments import SegmentTimes

__all__ = ["CORPORA", "corpus_kind", "read_corpus", "read_kaldi", "read_ljspeech", "read_timit", "read_vctk"]

logger = logging.getLogger(__name__)

CORPORA = ("kaldi", "ljspeech", "vctk", "timit")  # the layouts, each also a --data prefix
_VCTK_AUDIO = ("wav48_silence_trimmed", "wav48")  # 0.92's and 0.80's recordings
_ARCHIVE = re.compile(r".*:\d+(?:\[[^\]]*\])?")  # raw.ark:1234, raw.ark:1234[0:15999]
_REGION = re.compile(r"dr\d", re.IGNORECASE)  # TIMIT's dialect-region folders


def _dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _timit_root(root: Path) -> Path | None:
    """The folder holding TIMIT's ``TRAIN``/``TEST`` (or ``DR1``...) folders: ``root`` or its ``TIMIT``."""
    for folder in [root, *(d for d in _dirs(root) if d.name.lower() in ("timit", "data"))]:
        splits = [d for d in _dirs(folder) if d.name.lower() in ("train", "test")]
        if any(_REGION.fullmatch(r.name) for d in [folder, *splits] for r in _dirs(d)):
            return folder
    return None


def _is_ljspeech(root: Path) -> bool:
    meta = root / "metadata.csv"
    if not (meta.is_file() and (root / "wavs").is_dir()):
        return False
    with meta.open(encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
    return "|" in first and "file_name" not in first.lower()  # an audiofolder's metadata.csv has a header


def corpus_kind(root: Path) -> str | None:
    """The layout of ``root`` among :data:`CORPORA`, or None (another layout, or not a folder)."""
    if not root.is_dir():
        return None
    if (root / "wav.scp").is_file() and (root / "text").is_file():
        return "kaldi"
    if _is_ljspeech(root):
        return "ljspeech"
    if (root / "txt").is_dir() and any((root / a).is_dir() for a in _VCTK_AUDIO):
        return "vctk"
    return "timit" if _timit_root(root) is not None else None


def read_corpus(kind: str, root: Path, split: str | None = None) -> list[ManifestRow]:
    """The rows of a corpus of layout ``kind`` (one of :data:`CORPORA`) at ``root``.

    Raises:
        CorpusError: a malformed corpus, missing recordings, or a split the layout does not have.
    """
    root = user_path(root)
    if kind in ("kaldi", "ljspeech") and split:
        raise CorpusError(
            f"{option('data', f'{root}#{split}')}: a {kind} corpus has no splits; give its folder alone"
        )
    if kind == "kaldi":
        return read_kaldi(root)
    if kind == "ljspeech":
        return read_ljspeech(root)
    if kind == "vctk":
        return read_vctk(root, split)
    if kind == "timit":
        return read_timit(root, split)
    raise CorpusError(f"unknown corpus layout {kind!r}; choose one of {', '.join(CORPORA)}")


def _table(path: Path, what: str, fields: int = 2) -> list[tuple[int, list[str]]]:
    """The numbered lines of a Kaldi table, split into ``fields`` whitespace-separated fields at most."""
    rows = []
    for n, line in enumerate(file_lines(read_text(path, option("data"), what)), 1):
        if parts := line.split(maxsplit=fields - 1):
            rows.append((n, parts))
    return rows


def _resolve(root: Path, written: str) -> Path | None:
    """A wav.scp path: as written (absolute, or relative to the current directory), else in ``root``."""
    path = Path(written)
    if path.exists() or path.is_absolute():
        return path if path.exists() else None
    return root / path if (root / path).exists() else None


def _segments(root: Path, files: dict[str, Path]) -> dict[str, tuple[str, float | None]]:
    """Each utterance of ``root/segments``: its part of a recording and its seconds (None: to the end)."""
    where = root / "segments"
    parts: dict[str, tuple[str, float | None]] = {}
    times = SegmentTimes()  # each recording's length read once, however many segments it holds
    for n, fields in _table(where, "a Kaldi segments file", 4):
        try:
            seg, rec, start, end = fields[0], fields[1], float(fields[2]), float(fields[3])
        except (IndexError, ValueError):
            raise CorpusError(f"{where}: line {n} is not 'UTTERANCE RECORDING START END' (seconds)") from None
        if rec not in files:
            raise CorpusError(f"{where}: line {n} names recording {rec!r}, which wav.scp does not list")
        parts[seg] = times.part(files[rec], start, None if end == -1 else end, f"{where}: line {n}")
    return parts


def read_kaldi(root: Path) -> list[ManifestRow]:
    """A Kaldi or ESPnet data directory (see the module docstring).

    Raises:
        CorpusError: wav.scp entries that are commands or archive offsets, recordings found neither from
            the current directory nor from ``root``, a malformed ``segments`` file (a part past its
            recording's end included), or a recording that is not audio, empty or cut short.
    """
    scp = root / "wav.scp"
    table = _table(scp, "a Kaldi wav.scp")
    wavs = {f[0]: f[1].strip() if len(f) > 1 else "" for _, f in table}
    if bad := [
        w for w in wavs.values() if w.endswith("|") or (_ARCHIVE.fullmatch(w) and not Path(w).exists())
    ]:
        raise CorpusError(
            f"{scp}: {len(bad)} of {len(wavs)} recordings are commands or archive offsets, not files (the first:"
            f" {bad[0]!r}); write the audio to files (sph2pipe -f wav, sox, or wav-copy for .ark entries) and"
            " list their paths"
        )
    files = {rec: _resolve(root, w) for rec, w in wavs.items()}
    if missing := [rec for rec, f in files.items() if f is None]:
        first = wavs[missing[0]]
        where = (
            "does not exist"
            if Path(first).is_absolute()
            else f"is neither at {Path.cwd() / first} nor at {root / first} (a relative path is read from the"
            " current directory, as in a Kaldi recipe's root, then from the data directory): run from the"
            " recipe's root"
        )
        raise CorpusError(
            f"{scp}: {len(missing)} of {len(wavs)} recordings are not found; the first, {first}, {where}"
        )
    found = {rec: f for rec, f in files.items() if f is not None}
    if (root / "segments").is_file():
        parts = _segments(root, found)
    else:
        times, line = SegmentTimes(), {f[0]: n for n, f in table}  # each recording's header read once
        parts = {rec: (str(f), times.recording(f, f"{scp}: line {line[rec]}")) for rec, f in found.items()}
    spk = root / "utt2spk"
    speakers = {f[0]: f[-1].strip() for _, f in _table(spk, "a Kaldi utt2spk")} if spk.is_file() else {}
    texts = {f[0]: f[1] if len(f) > 1 else "" for _, f in _table(root / "text", "a Kaldi text file")}
    rows = [
        ManifestRow(Path(parts[utt][0]), text, parts[utt][1], speakers.get(utt, ""))
        for utt, text in texts.items()
        if utt in parts
    ]
    if unmatched := len(texts) - len(rows):
        held = "segments" if (root / "segments").is_file() else "wav.scp"
        logger.warning(
            "%s: %d of %d utterances of text are not in %s; left out", root, unmatched, len(texts), held
        )
    return rows


def read_ljspeech(root: Path) -> list[ManifestRow]:
    """An LJSpeech root: ``metadata.csv`` (``ID|text|normalized text``, no header) and ``wavs/ID.wav``.

    Raises:
        CorpusError: a line without ``|``, recordings missing from ``wavs/``, or one that is not audio,
            empty or cut short (:mod:`carrousel.speech.segments`).
    """
    meta = root / "metadata.csv"
    speaker = root.resolve().name
    rows = []
    for n, line in enumerate(file_lines(read_text(meta, option("data"), "an LJSpeech metadata.csv")), 1):
        if not line.strip():
            continue
        fields = line.split("|")  # not csv: the texts hold bare quotes
        if len(fields) < 2 or not fields[0].strip():
            raise CorpusError(f"{meta}: line {n} is not 'ID|text|normalized text'")
        text = fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]
        rows.append((n, ManifestRow(root / "wavs" / f"{fields[0].strip()}.wav", text, None, speaker)))
    if missing := [r.path for _, r in rows if not r.path.is_file()]:
        raise CorpusError(
            f"{meta}: {len(missing)} of {len(rows)} recordings are not in wavs/ (the first: {missing[0]})"
        )
    times = SegmentTimes()  # each recording's header read: one that is not audio is refused here
    return [r._replace(seconds=times.recording(r.path, f"{meta}: line {n}")) for n, r in rows]


def read_vctk(root: Path, mic: str | None = None) -> list[ManifestRow]:
    """A VCTK root (0.92 or 0.80): recordings of ``mic`` (0.92: ``mic1``, the default, or ``mic2``).

    Raises:
        CorpusError: another microphone, or one named for 0.80 (a single microphone).
    """
    if (root / _VCTK_AUDIO[0]).is_dir():
        mic = mic or "mic1"
        if mic not in ("mic1", "mic2"):
            raise CorpusError(f"{option('data', f'{root}#{mic}')}: VCTK 0.92 has microphones #mic1 and #mic2")
        tail = f"_{mic}"
        audio = root / _VCTK_AUDIO[0]
    elif mic:
        raise CorpusError(
            f"{option('data', f'{root}#{mic}')}: VCTK 0.80 (wav48/) has one microphone; give {root} alone"
        )
    else:
        tail, audio = "", root / _VCTK_AUDIO[1]
    rows, untranscribed = [], 0
    for rec in sorted(audio.glob(f"*/*{tail}.*")):
        if rec.suffix.lower() not in AUDIO_SUFFIXES or not rec.stem.endswith(tail):
            continue
        txt = root / "txt" / rec.parent.name / f"{rec.stem.removesuffix(tail)}.txt"
        if not txt.is_file():
            untranscribed += 1
            continue
        rows.append(ManifestRow(rec, read_transcript(txt), None, rec.parent.name))
    if untranscribed:
        logger.warning(
            "VCTK %s: %d recordings have no transcript in txt/ and are left out", root, untranscribed
        )
    return rows


def _timit_text(txt: Path) -> str:
    """The words of a TIMIT ``.TXT`` (``BEGIN END words``)."""
    fields = read_transcript(txt).split(maxsplit=2)
    if len(fields) < 3 or not (fields[0].isdigit() and fields[1].isdigit()):
        raise CorpusError(f"{txt} is not a TIMIT transcript ('BEGIN_SAMPLE END_SAMPLE words')")
    return fields[2]


def read_timit(root: Path, split: str | None = None) -> list[ManifestRow]:
    """A TIMIT root (``TRAIN``/``TEST``, either case), one split (``train``, ``test``) or both.

    Raises:
        CorpusError: an unknown split, a malformed ``.TXT``, or recordings soundfile cannot read (a
            shorten-compressed SPHERE: decompress with sph2pipe).
    """
    base = _timit_root(root) or root
    splits = {d.name.lower(): d for d in _dirs(base) if d.name.lower() in ("train", "test")}
    if split and split.lower() not in splits:
        held = ", ".join(d.name for d in splits.values()) or "no TRAIN or TEST folder"
        raise CorpusError(
            f"{option('data', f'{root}#{split}')}: TIMIT's splits are #train and #test ({base} holds {held})"
        )
    folders = [splits[split.lower()]] if split else [splits[k] for k in sorted(splits)] or [base]
    rows = []
    for folder in folders:
        for txt in sorted(folder.glob("*/*/*")):
            if txt.suffix.lower() != ".txt":
                continue
            names = (f"{txt.stem}{s}" for s in (".WAV", ".wav", ".WAV.wav"))  # Kaggle's copy: SA1.WAV.wav
            if rec := next((txt.parent / n for n in names if (txt.parent / n).is_file()), None):
                rows.append(ManifestRow(rec, _timit_text(txt), None, txt.parent.name))
    if rows:
        try:
            audio_info(rows[0].path)
        except AudioError as exc:
            raise CorpusError(f"TIMIT {root}: {exc}") from None
    return rows

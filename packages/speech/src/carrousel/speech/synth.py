"""Synthesised training and test corpora: espeak-ng and flite voices, channels, rooms and noise.

Each utterance draws a text (:func:`carrousel.speech.vocab.random_utterance`), a voice (an espeak-ng
accent with a voice variant, speaking rate and pitch; or a flite voice with a duration stretch and
target pitch), silence before and after, and, for most utterances, a channel
(:func:`carrousel.speech.augment.apply_channel`: room reverberation, microphone colouring, noise
including babble of other synthetic speakers, the 8 kHz mu-law telephone channel). Voices are split
once into training voices and held-out voices (whole voice variants, one espeak-ng accent and one flite
voice never used for training), so a ``--heldout`` corpus measures unseen voices.

The corpus folder holds ``manifest.tsv`` (path, transcript, seconds, speaker, kind, effects) and
``wav/NNNNNN.wav`` (16-bit PCM). A share of utterances (``noise_share``) can hold no speech: noise of
the corpus's kinds, or near-silence, 0.1-3 s, through the same channels, with an empty transcript (kind
``none``), so a model learns to answer nothing to noise. A share of the digit strings and numbers
(``lone_share``) can be said as one or two number words (:func:`carrousel.speech.vocab.short_number`). A
share of the speech utterances (``clip_share``) starts on its first sound (no silence before it, the
synthesiser's own cut), and the same share, drawn apart, ends on its last, before the channel: the clips
a push-to-talk button or a voice-activity detector cuts (effects ``cut-lead``, ``cut-tail``). A share of
the speech utterances (``pause_share``) is 2-4 groups of 1-3 words said apart by the same voice and joined
by 0.3-1.0 s of digital silence (:mod:`carrousel.speech.pauses`; effect ``pause``, kind ``mixed`` when the
groups' kinds differ), before the cuts and the channel, whose noise and room fill the pauses. The corpus
is written as a whole (nothing partial on failure). The same seed
writes the same corpus: every utterance has its own random generator seeded by (seed, index).
"""

from __future__ import annotations

import csv
import io
import logging
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from carrousel.core.atomic import atomic_dir
from carrousel.core.files import check_output_dir
from carrousel.core.option_names import option
from carrousel.speech.audio import resample, speech_bounds
from carrousel.speech.augment import NOISES, apply_channel, make_noise
from carrousel.speech.config import SynthConfig
from carrousel.speech.errors import SynthesisError
from carrousel.speech.pauses import join_with_pauses, pause_groups
from carrousel.speech.vocab import random_utterance, short_number

__all__ = [
    "ESPEAK_ACCENTS",
    "ESPEAK_VARIANTS",
    "FLITE_VOICES",
    "NO_SPEECH_PEAK_DB",
    "NO_SPEECH_SECONDS",
    "SynthResult",
    "Voice",
    "synth_corpus",
    "synthesize",
]

logger = logging.getLogger(__name__)
_MANIFEST = "manifest.tsv"  # every corpus folder holds it: the mark of an earlier output

ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-029", "en-us-nyc")
ESPEAK_HELDOUT_ACCENTS = ("en-gb-x-gbcwmd",)
ESPEAK_VARIANTS = tuple(
    [
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
        "m7",
        "m8",
        "f1",
        "f2",
        "f3",
        "f5",
        "klatt",
        "klatt2",
        "klatt3",
        "klatt5",
        "klatt6",
        "croak",
        "whisper",
        "Alex",
        "Alicia",
        "Andrea",
        "Andy",
        "AnxiousAndy",
        "Denis",
        "Diogo",
        "Gene",
        "Gene2",
        "Henrique",
        "Hugo",
        "Jacky",
        "Lee",
        "Marco",
        "Mario",
        "Michael",
        "Mike",
        "Nguyen",
        "Storm",
        "adam",
        "anika",
        "announcer",
        "antonio",
        "aunty",
        "belinda",
        "benjamin",
        "boris",
        "caleb",
        "david",
        "ed",
        "edward",
        "edward2",
        "grandma",
        "gustave",
        "iven",
        "iven2",
        "iven4",
        "john",
        "kaukovalta",
        "linda",
        "marcelo",
        "max",
        "michel",
        "miguel",
        "norbert",
        "pablo",
        "paul",
        "pedro",
        "quincy",
        "rob",
        "robert",
        "sandro",
        "shelby",
        "steph",
        "steph3",
        "travis",
        "victor",
        "zac",
    ]
)
ESPEAK_HELDOUT_VARIANTS = ("f4", "m6", "klatt4", "whisperf", "Annie", "grandpa", "steph2", "iven3")
FLITE_VOICES = ("kal", "kal16", "awb", "slt")
FLITE_HELDOUT = ("rms",)
_TIMEOUT = 60.0
NO_SPEECH_SECONDS = (0.1, 3.0)  # durations of the recordings without speech (--noise-share)
NO_SPEECH_PEAK_DB = (-50.0, -6.0)  # their peak level, dBFS (files below -60 dBFS are refused as silent)
_NO_SPEECH_NOISES = tuple(k for k in NOISES if k != "babble")  # babble holds other speakers' words


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker."""

    engine: str  # espeak-ng | flite
    name: str  # espeak-ng "accent+variant", or a flite voice
    rate: float  # espeak-ng words per minute, or flite duration stretch (larger = slower)
    pitch: float  # espeak-ng pitch 0..99, or flite target mean F0 (Hz)

    @property
    def label(self) -> str:
        """A short speaker label for manifests."""
        return f"{self.engine}:{self.name}"


def _available(engines: tuple[str, ...]) -> tuple[str, ...]:
    found = tuple(e for e in engines if shutil.which(e))
    if not found:
        raise SynthesisError(
            f"none of {', '.join(engines)} is installed; install them (Debian: apt-get install espeak-ng flite, "
            "or `make system` in the repository)"
        )
    return found


def random_voice(rng: np.random.Generator, engines: tuple[str, ...], heldout: bool) -> Voice:
    """A random voice of the training or the held-out set."""
    engine = str(rng.choice(engines))
    if engine == "flite":
        name = str(rng.choice(FLITE_HELDOUT if heldout else FLITE_VOICES))
        return Voice("flite", name, float(rng.uniform(0.75, 1.4)), float(rng.uniform(80, 220)))
    if heldout:
        accent = str(rng.choice(ESPEAK_ACCENTS + ESPEAK_HELDOUT_ACCENTS))
        variant = str(rng.choice(ESPEAK_HELDOUT_VARIANTS))
    else:
        accent, variant = str(rng.choice(ESPEAK_ACCENTS)), str(rng.choice(ESPEAK_VARIANTS))
    return Voice("espeak-ng", f"{accent}+{variant}", float(rng.uniform(110, 230)), float(rng.uniform(15, 85)))


def synthesize(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    """Speaks ``text`` with ``voice``; returns mono float32 audio and its sample rate.

    Raises:
        SynthesisError: the engine is missing, fails or times out.
    """
    with tempfile.TemporaryDirectory(prefix="carrousel-tts-") as tmp:
        out = Path(tmp) / "u.wav"
        if voice.engine == "espeak-ng":
            cmd = ["espeak-ng", "-v", voice.name, "-s", str(round(voice.rate)), "-p", str(round(voice.pitch))]
            cmd += ["-w", str(out), text]
        else:
            cmd = ["flite", "-voice", voice.name, "--setf", f"duration_stretch={voice.rate:.3f}"]
            cmd += ["--setf", f"int_f0_target_mean={voice.pitch:.0f}", "-t", text, "-o", str(out)]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=_TIMEOUT, check=False)
        except FileNotFoundError:
            raise SynthesisError(
                f"{voice.engine} is not installed; install it (apt-get install {voice.engine})"
            ) from None
        except subprocess.TimeoutExpired:
            raise SynthesisError(f"{voice.engine} took over {_TIMEOUT:.0f} s for {text!r}") from None
        if proc.returncode != 0 or not out.is_file():
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            raise SynthesisError(
                f"{voice.engine} failed for voice {voice.name} ({err[-1] if err else 'no output'})"
            )
        data, rate = sf.read(str(out), dtype="float32", always_2d=False)
    return (data.mean(axis=1) if data.ndim == 2 else data).astype(np.float32), int(rate)


@dataclass(frozen=True)
class SynthResult:
    """What :func:`synth_corpus` wrote."""

    out: str  # corpus folder
    manifest: str  # its manifest.tsv
    utterances: int  # utterances written
    seconds: float  # total audio duration
    voices: int  # distinct voices used
    engines: tuple[str, ...]  # synthesisers used
    heldout: bool  # held-out voices only
    elapsed: float  # wall-clock seconds


def _no_speech(cfg: SynthConfig, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """A recording without speech: noise of a corpus kind (not babble: other speakers' words are speech),
    0.1-3 s, through a channel as speech is (unless clean), from near-silence to loud."""
    sr = cfg.sample_rate
    kind = str(rng.choice(_NO_SPEECH_NOISES))
    x = make_noise(int(rng.uniform(*NO_SPEECH_SECONDS) * sr), kind, rng, sr)
    effects = [kind]
    if rng.random() >= cfg.clean_fraction:
        x, more = apply_channel(x, sr, cfg.channel, rng)
        effects += more
    peak_db = float(rng.uniform(*NO_SPEECH_PEAK_DB))  # room tone just above the silence refusal .. loud
    return (x * (10 ** (peak_db / 20) / (np.max(np.abs(x)) + 1e-9))).astype(np.float32), effects


def _one(
    cfg: SynthConfig, engines: tuple[str, ...], index: int, babble: list[np.ndarray]
) -> tuple[bytes, list[str]]:
    rng = np.random.default_rng([cfg.seed, index, int(cfg.heldout)])
    sr = cfg.sample_rate
    # drawn from a stream of its own: with no share, every utterance is as it was before the option
    if (
        cfg.noise_share
        and np.random.default_rng([cfg.seed, index, int(cfg.heldout), 1]).random() < cfg.noise_share
    ):
        x, effects = _no_speech(cfg, rng)
        kind, transcript, speaker = "none", "", "none"
    else:
        kind, transcript, spoken = random_utterance(_py_rng(rng), cfg.vocabulary)
        # lone numbers from a stream of their own too: without the option the text is as before
        lone = np.random.default_rng([cfg.seed, index, int(cfg.heldout), 2])
        if cfg.lone_share and kind in ("digits", "numbers") and lone.random() < cfg.lone_share:
            transcript = spoken = short_number(_py_rng(lone))
        voice = random_voice(rng, engines, cfg.heldout)
        # pauses inside from a stream of their own too: without the option the utterance is as before
        pause = np.random.default_rng([cfg.seed, index, int(cfg.heldout), 4])
        paused = bool(cfg.pause_share) and pause.random() < cfg.pause_share
        if paused:
            kind, transcript, x = _paused(cfg, voice, pause)
        else:
            x, rate = synthesize(spoken, voice)
            x = resample(x, rate, sr)
        speaker = voice.label
        lead, tail = (np.zeros(int(rng.uniform(0.05, 0.35) * sr), np.float32) for _ in range(2))
        # edges cut to the sound from a stream of their own: without the option the utterance is as before
        cut = np.random.default_rng([cfg.seed, index, int(cfg.heldout), 3]).random(2) < cfg.clip_share
        x, lead, tail = _cut_edges(x, sr, lead, tail, bool(cut[0]), bool(cut[1]))
        x = np.concatenate([lead, x, tail])
        effects = [name for name, on in (("cut-lead", cut[0]), ("cut-tail", cut[1])) if on]
        effects += ["pause"] if paused else []
        if rng.random() >= cfg.clean_fraction:
            x, more = apply_channel(x, sr, cfg.channel, rng, babble)
            effects += more
        else:
            x = x * float(rng.uniform(0.1, 0.9) / (np.max(np.abs(x)) + 1e-9))
    buf = io.BytesIO()
    sf.write(buf, np.clip(x, -1, 1), sr, format="WAV", subtype="PCM_16")
    row = [
        f"wav/{index:06d}.wav",
        transcript,
        f"{len(x) / sr:.3f}",
        speaker,
        kind,
        "+".join(effects) or "clean",
    ]
    return buf.getvalue(), row


def _paused(cfg: SynthConfig, voice: Voice, rng: np.random.Generator) -> tuple[str, str, np.ndarray]:
    """A sentence of 2-4 groups (at most ``cfg.pause_groups``) said apart by ``voice`` and joined by pauses of digital silence
    (:mod:`carrousel.speech.pauses`): its kind (the groups' one, or ``mixed``), transcript and audio."""
    groups = pause_groups(_py_rng(rng), cfg.vocabulary, cfg.pause_groups)
    parts = []
    for _, _, spoken in groups:
        x, rate = synthesize(spoken, voice)
        parts.append(resample(x, rate, cfg.sample_rate))
    kinds = {k for k, _, _ in groups}
    kind = kinds.pop() if len(kinds) == 1 else "mixed"
    return kind, " ".join(t for _, t, _ in groups), join_with_pauses(parts, cfg.sample_rate, rng)


def _cut_edges(
    x: np.ndarray, sr: int, lead: np.ndarray, tail: np.ndarray, cut_lead: bool, cut_tail: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The synthesised speech and its silences with the cut edges at the sound: no silence added there,
    and the synthesiser's own cut to the first (last) 10 ms frame within 35 dB of the loudest, as
    ``bench_speech_accuracy.py --clipped`` cuts real recordings (a push-to-talk button, a VAD)."""
    if not (cut_lead or cut_tail):
        return x, lead, tail
    start, end = speech_bounds(x, sr, margin=0.0)
    return (
        x[start if cut_lead else 0 : end if cut_tail else len(x)],
        lead[:0] if cut_lead else lead,
        tail[:0] if cut_tail else tail,
    )


def _py_rng(rng: np.random.Generator) -> random.Random:
    return random.Random(int(rng.integers(2**63)))


def synth_corpus(cfg: SynthConfig, progress: Callable[[float], None] | None = None) -> SynthResult:
    """Writes a synthetic corpus per ``cfg`` (see the module docstring).

    Args:
        cfg: what to write.
        progress: called with 1 after each utterance (a progress bar's ``advance``).

    Raises:
        SynthesisError: no engine installed, or one fails.
        ConfigError: ``cfg.out`` holds files but no manifest.tsv (not an earlier corpus), checked first.
        OutputError: the folder cannot be written.
    """
    check_output_dir(cfg.out, option("out"), marker=_MANIFEST)  # before any work: other files are kept
    start = time.perf_counter()
    engines = _available(cfg.engines)
    rng = np.random.default_rng([cfg.seed, 999_983])
    babble = []
    for _ in range(12):  # a pool of other speakers for babble noise
        voice = random_voice(rng, engines, cfg.heldout)
        x, rate = synthesize(random_utterance(_py_rng(rng), cfg.vocabulary)[2], voice)
        babble.append(resample(x, rate, cfg.sample_rate))
    rows: list[list[str]] = []
    seconds = 0.0
    with atomic_dir(cfg.out) as tmp:
        (tmp / "wav").mkdir()
        with ThreadPoolExecutor(cfg.workers) as pool:
            jobs = [pool.submit(_one, cfg, engines, i, babble) for i in range(cfg.utterances)]
            for job in jobs:
                blob, row = job.result()
                (tmp / row[0]).write_bytes(blob)
                rows.append(row)
                seconds += float(row[2])
                if progress is not None:
                    progress(1)
        with open(tmp / _MANIFEST, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
            writer.writerow(["path", "transcript", "seconds", "speaker", "kind", "effects"])
            writer.writerows(rows)
    logger.info("synthesised %d utterances (%.0f s of audio) into %s", len(rows), seconds, cfg.out)
    return SynthResult(
        out=str(cfg.out),
        manifest=str(Path(cfg.out) / _MANIFEST),
        utterances=len(rows),
        seconds=round(seconds, 3),
        voices=len({r[3] for r in rows}),
        engines=engines,
        heldout=cfg.heldout,
        elapsed=round(time.perf_counter() - start, 3),
    )

"""``speech transcribe``, ``speech evaluate`` (transcribes a corpus and scores it) and ``speech stream``."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from carrousel.core.args import check_args
from carrousel.core.listed import check_listed
from carrousel.speech.audio import audio_info, read_audio
from carrousel.speech.config import EvaluateConfig, StreamConfig, TranscribeConfig
from carrousel.speech.data import load_corpora
from carrousel.speech.decoding import unusable_hotwords
from carrousel.speech.errors import AudioError, SilentAudioError
from carrousel.speech.lm import WordLM, load_lm
from carrousel.speech.longform import Progress, transcription_progress
from carrousel.speech.metrics import ErrorCounts, UtteranceScore, error_rates, score_utterance
from carrousel.speech.pipeline.common import load_model, use_threads
from carrousel.speech.recognizer import Recognizer, shipped_model_path
from carrousel.speech.streaming import refuse_features, stream_file
from carrousel.speech.text import UNWRITABLE_REFERENCE, warn_unwritable
from carrousel.speech.transcripts import Partial, Transcript

__all__ = ["EvaluationResult", "evaluate", "stream", "transcribe"]

logger = logging.getLogger(__name__)
_CHUNKED = "longer than --chunk-seconds: read in chunks, without --nbest alternatives (raise --chunk-seconds)"


def _lm(cfg: TranscribeConfig, recognizer: Recognizer) -> WordLM | None:
    d = cfg.decode
    if d.lm:
        return load_lm(d.lm, d.lm_order)
    return recognizer.word_lm(d.lm_order) if d.uses_beam and d.model_lm else None


def _check_hotwords(cfg: TranscribeConfig, recognizer: Recognizer) -> None:
    """Warns once, naming them, of the hotwords the model cannot spell (the decoder ignores them)."""
    if bad := unusable_hotwords(cfg.decode.hotwords, recognizer.alphabet):
        named = "; ".join(f"{w!r} ({why})" for w, why in bad.items())
        logger.warning("hotwords ignored, the model cannot spell them: %s; check their spelling", named)


def _silent(path: str) -> bool:
    """True when the recording ``path`` holds no sound (digital silence or a constant level)."""
    with contextlib.suppress(SilentAudioError):
        read_audio(path, audio_info(path).sample_rate)  # another error is the file's, raised as such
        return False
    return True


@check_args
def transcribe(
    cfg: TranscribeConfig,
    paths: Sequence[str | os.PathLike[str]],
    progress: Progress | None = None,
    skip_errors: bool = False,
    recognizer: Recognizer | None = None,
    no_speech: frozenset[str] = frozenset(),
) -> list[Transcript]:
    """``speech transcribe``: every file's transcript, in order (``progress``: see ``transcription_progress``).

    ``skip_errors`` (the CLI's batches of several files): a file that cannot be read is returned in its
    place as a transcript with ``error`` set (the caller reports it), and the run goes on. ``recognizer``:
    the model of ``cfg`` already loaded (``evaluate``'s), not loaded again. ``no_speech``: paths whose right
    answer is nothing (``evaluate``'s empty transcripts); one that is silent is transcribed as nothing.

    Raises:
        AudioError: one path (or None) instead of a list; a file is empty, corrupt, silent or too long (the
            first one stops the run), unless ``skip_errors``.
        BundleError: the model cannot be loaded.
    """
    check_listed(paths, (str, bytes, os.PathLike), AudioError, "path", show=True)  # one: letter by letter
    files = [os.fspath(p) for p in paths]  # a Path was an AttributeError ('endswith') in the progress set-up
    use_threads(cfg.threads)
    recognizer = recognizer or load_model(cfg.model, cfg.device, cfg.precision)
    lm = _lm(cfg, recognizer)
    _check_hotwords(cfg, recognizer)
    out: list[Transcript] = []
    skip = skip_errors or bool(no_speech)  # no_speech: each bad file judged below, the first other one raised
    with transcription_progress(progress, files, cfg.chunk_seconds) as (advance, on_chunk):
        args = (cfg.decode, lm, cfg.chunk_seconds, cfg.max_seconds, cfg.batch_size, cfg.trim, skip, on_chunk)
        for t in recognizer.transcribe_files(files, *args):
            if t.error is not None and t.path in no_speech and _silent(t.path):
                t = Transcript(t.path, "", (), audio_info(t.path).seconds)  # nothing, as its transcript says
            elif t.error is not None and not skip_errors:
                raise AudioError(t.error)  # the first file that cannot be read stops the run
            out.append(replace(t, **recognizer.precisions()))
            advance(1)
            if t.error is None and (n := len(t.alternatives)) < cfg.decode.nbest > 1:  # no more, or chunked
                why = f"{n} distinct transcripts exist, not {cfg.decode.nbest}" if n else _CHUNKED
                logger.warning("%s: %s", t.path, why)
    return out


@dataclass(frozen=True)
class EvaluationResult:
    """What :func:`evaluate` measured."""

    model: str  # the model folder ("shipped" for the packaged one)
    data: tuple[str, ...]  # corpora
    decoding: str  # "greedy" or "beam N (+ LM, hotwords)"
    utterances: int  # utterances scored
    totals: ErrorCounts  # corpus WER, CER and counts
    audio_seconds: float  # audio duration scored
    elapsed: float  # wall-clock seconds (loading included)
    real_time_factor: float  # transcription time / audio duration
    per_utterance: tuple[UtteranceScore, ...]  # every utterance's errors
    trained_precision: str | None = "fp32"  # the model's training arithmetic (its bundle's record)
    precision: str = "fp32"  # what the network ran in (the run's, or an exported bundle's ONNX file's)


def evaluate(cfg: EvaluateConfig, progress: Progress | None = None) -> EvaluationResult:
    """``speech evaluate``: transcribes a corpus and scores it against its transcripts."""
    start = time.perf_counter()
    t = cfg.transcribe
    utts = load_corpora(cfg.data, cfg.max_utterances)
    recognizer = load_model(t.model, t.device, t.precision)
    warn_unwritable((u.text for u in utts), recognizer.alphabet, "reference", UNWRITABLE_REFERENCE)
    silence = frozenset(u.path for u in utts if u.no_speech)  # a silent one is right: nothing was said
    transcripts = transcribe(t, [u.path for u in utts], progress, recognizer=recognizer, no_speech=silence)
    scores = tuple(
        score_utterance(u.path, u.text, tr.text, u.readings) for u, tr in zip(utts, transcripts, strict=True)
    )
    d = t.decode
    decoding = (
        "greedy"
        if not d.uses_beam
        else f"beam {d.width}" + (" + LM" if d.lm else " + model LM" if d.model_lm else "")
    )
    decoding += " + hotwords" if d.hotwords else ""
    seconds = float(sum(tr.seconds for tr in transcripts))
    elapsed = time.perf_counter() - start
    return EvaluationResult(
        model=t.model or "shipped",
        data=cfg.data,
        decoding=decoding,
        utterances=len(scores),
        totals=error_rates(scores),
        audio_seconds=round(seconds, 3),
        elapsed=round(elapsed, 3),
        real_time_factor=round(elapsed / seconds, 4) if seconds else 0.0,
        per_utterance=scores,
        **{k: getattr(transcripts[0], k) for k in ("trained_precision", "precision") if transcripts},
    )


def stream(cfg: StreamConfig, path: str, progress: Progress | None = None) -> Iterator[Partial]:
    """``speech stream``: feeds a recording in ``cfg.chunk_ms`` chunks as if live; yields partial results
    (``progress``: a bar over its seconds of audio, see :func:`carrousel.speech.streaming.stream_file`).

    Raises:
        AudioError: ``path`` is a Sphinx ``.mfc`` feature file (``speech transcribe`` reads those), or not audio.
    """
    refuse_features(path)
    use_threads(cfg.threads)
    recognizer = load_model(cfg.model or shipped_model_path("stream"), cfg.device)
    precisions = recognizer.precisions()  # every update says it, the partials too (before: null in them)
    for update in stream_file(recognizer, path, cfg.chunk_ms, cfg.max_seconds, progress):
        yield replace(update, **precisions)

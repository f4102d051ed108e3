"""A trained recogniser: the model with its alphabet and front end, saved as a carrousel.core bundle.

:class:`Recognizer` loads a bundle of kind ``"speech.ctc"`` (weights, the model config, and as assets
the alphabet, the feature settings and the corpus feature statistics) and transcribes recordings:
short files in batches through :func:`carrousel.core.train.predict`-style batched forward passes, long
files in overlapping chunks read block by block (memory bounded by the chunk length; see
:mod:`carrousel.speech.longform`, which also reports each chunk to an optional callback). A
unidirectional model with causal normalisation also transcribes a live stream
(:meth:`Recognizer.stream`, run by :func:`carrousel.speech.streaming.transcribe_stream`), carrying the
front end's samples, the normalisation statistics, the convolution buffers and the LSTM state from chunk
to chunk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle, load_bundle, model_repr
from carrousel.core.device import check_inference, pick_device, run_in_precision
from carrousel.core.export.deploy import load_runtime
from carrousel.core.listed import check_listed
from carrousel.core.paths import user_path
from carrousel.core.provenance import (
    PrecisionReport,
    exported_precision,
    fix_or_upgrade,
    precision_report,
    trained_precision,
)
from carrousel.speech.audio import audio_info, read_audio, resample
from carrousel.speech.config import DecodeConfig, FeatureConfig
from carrousel.speech.decoding import decode, start_at_sound
from carrousel.speech.errors import (
    AudioError,
    AudioTooLongError,
    SpeechConfigError,
    StreamingError,
    TranscriptError,
)
from carrousel.speech.features import FeatureExtractor, check_sphinx_front_end
from carrousel.speech.lm import WordLM
from carrousel.speech.longform import ChunkProgress, reads_in_chunks, sound_span, transcribe_long
from carrousel.speech.models import CTCModel, streaming_settings
from carrousel.speech.streaming import transcribe_stream
from carrousel.speech.text import Alphabet
from carrousel.speech.transcripts import Partial, Transcript, blank_mean, skipped, within_recording

__all__ = ["KIND", "Recognizer", "mono_samples", "shipped_model_path"]

logger = logging.getLogger(__name__)

KIND = "speech.ctc"
LM_FILE = "lm.txt"  # bundle asset: sentences of the model's own word LM


def shipped_model_path(name: str = "model") -> Path:
    """Folder of a recogniser shipped inside the package (``model``: English BiLSTM; ``stream``)."""
    return Path(str(resources.files("carrousel.speech") / "shipped" / name))


def mono_samples(audio: Any, where: str = "") -> np.ndarray:
    """``audio`` (a NumPy array, a tensor, a list) as a ``(samples,)`` array of finite float samples.

    Raises:
        AudioError: integer samples (PCM), more than one channel, or NaN / infinite samples; the message
            starts with ``where``.
    """
    if isinstance(audio, torch.Tensor):  # np.asarray refuses one that requires grad or lives on a GPU
        audio = audio.detach().cpu().numpy()
    audio = np.asarray(audio)
    if audio.dtype.kind in "iu":
        raise AudioError(
            f"{where}{audio.dtype} samples; give float audio in [-1, 1] (16-bit PCM: audio / 32768)"
        )
    if audio.ndim != 1:
        raise AudioError(
            f"{where}audio of shape {audio.shape}; give one mono channel, e.g. audio.mean(axis=1)"
        )
    bad = ~np.isfinite(audio)
    if bad.any():  # a file holding them is refused by read_audio; NaN features would decode as ""
        raise AudioError(
            f"{where}audio holds {int(bad.sum())} NaN or infinite sample(s) (first at {int(np.argmax(bad))}); "
            "fix or drop them (e.g. np.nan_to_num(audio))"
        )
    return audio


class Recognizer:
    """A speech recogniser: network, alphabet and front end.

    Args:
        model: the acoustic model.
        alphabet: its output classes.
        features: the front end it was trained with.
        mean: ``(F,)`` corpus mean of the raw features.
        std: ``(F,)`` corpus standard deviation of the raw features.
    """

    def __init__(
        self,
        model: CTCModel,
        alphabet: Alphabet,
        features: FeatureConfig,
        mean: np.ndarray,
        std: np.ndarray,
        lm_text: str | None = None,
        runtime: Any = None,
        precision: str = "fp32",
        trained: str | None = "fp32",
        exported: str | None = None,
    ) -> None:
        self.model = model.eval()
        self.runtime = runtime  # ONNX Runtime module of an exported bundle (speech export), else None
        self.precision = precision  # fp32, or bf16 / fp16 autocast of the network (checked here, once)
        self.trained = trained  # the training arithmetic its bundle records
        self.exported = exported  # the precision of ``runtime``'s ONNX file (int8, fp32), which it runs in
        self._dtype = check_inference(precision, self.device, runtime is not None)
        self.lm_text = lm_text  # sentences of the model's own word LM (its training transcripts), if any
        self.alphabet, self.features = alphabet, features
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        self.extractor = FeatureExtractor(features, torch.from_numpy(self.mean), torch.from_numpy(self.std))

    def __repr__(self) -> str:
        fx, on = self.features, str(self.device)
        return model_repr(self, features=fx.kind, rate=fx.sample_rate, streaming=self.streaming, device=on)

    @property
    def device(self) -> torch.device:
        """The model's device."""
        return next(self.model.parameters()).device

    @property
    def frame_seconds(self) -> float:
        """Seconds per output frame (feature hop times the model's subsampling)."""
        return self.extractor.frame_seconds * self.model.subsample

    @property
    def frame_samples(self) -> int:
        """Samples per output frame at the model's rate: :attr:`frame_seconds` counted in samples."""
        return self.features.hop_samples * self.model.subsample

    @property
    def streaming(self) -> bool:
        """Whether :meth:`stream` works (unidirectional model, causal normalisation)."""
        return not self.model.config.bidirectional and self.features.normalize == "causal"

    # ------------------------------------------------------------------------------------ bundle I/O
    @classmethod
    def from_pretrained(
        cls, path: str | Path | None = None, device: str = "cpu", precision: str = "fp32"
    ) -> Recognizer:
        """Loads a recogniser bundle (None: the shipped English model); ``precision``: fp32, or bf16 / fp16
        autocast of the network (not for an exported bundle; fp16 needs a GPU).

        Raises:
            BundleError: missing, damaged, or not a speech model.
        """
        folder = user_path(path) if path is not None else shipped_model_path()
        bundle = load_bundle(folder, kind=KIND, map_location=pick_device(device))
        try:
            merges = tuple((str(a), str(b)) for a, b in bundle.assets.get("merges", []))
            alphabet = Alphabet(tuple(bundle.assets["alphabet"]), merges)
            features = FeatureConfig(**bundle.assets["features"])
        except (KeyError, TypeError, ValueError, TranscriptError) as exc:
            raise SpeechConfigError(
                f"{folder}: the bundle lacks valid speech assets ({exc}); {fix_or_upgrade(bundle)}"
            ) from None
        model = bundle.model
        if not isinstance(model, CTCModel):
            raise SpeechConfigError(f"{folder} holds a {type(model).__name__}, not a speech CTC model")
        lm = bundle.files.get(LM_FILE)
        runtime = load_runtime(bundle, config=model.config)  # an exported bundle runs ONNX Runtime
        return cls(
            model,
            alphabet,
            features,
            bundle.arrays["feature_mean"],
            bundle.arrays["feature_std"],
            lm.decode("utf-8") if lm is not None else None,
            runtime,
            precision,
            trained_precision(bundle.data),
            exported_precision(bundle.assets),
        )

    def precisions(self) -> PrecisionReport:
        """``trained_precision`` (its bundle's record) and ``precision`` (what the network runs in), as
        ``--json`` reports them."""
        return precision_report(
            self.trained, self.precision, self.exported if self.runtime is not None else None
        )

    @check_args
    def word_lm(self, order: int = 3) -> WordLM | None:
        """The model's own word LM (Kneser-Ney over its training transcripts), when the bundle has one."""
        if not self.lm_text:
            return None
        return WordLM.from_sentences(self.lm_text.splitlines(), order)

    def save(self, folder: str | Path, data: dict[str, Any] | None = None) -> Path:
        """Writes the recogniser as a bundle (``data``: provenance of the training corpus)."""
        return self.to_bundle(data).save(folder)

    def to_bundle(self, data: dict[str, Any] | None = None) -> Bundle:
        """The recogniser as a (plain, not exported) bundle."""
        assets: dict[str, Any] = {"alphabet": list(self.alphabet.symbols), "features": asdict(self.features)}
        if self.alphabet.merges:
            assets["merges"] = [list(m) for m in self.alphabet.merges]
        return Bundle(
            kind=KIND,
            model=self.model,
            assets=assets,
            arrays={"feature_mean": self.mean, "feature_std": self.std},
            files={LM_FILE: self.lm_text.encode("utf-8")} if self.lm_text else {},
            data=data or {},
        )

    # ------------------------------------------------------------------------------------- scoring
    @check_args
    def input_features(self, audio: Any, sample_rate: int | None = None) -> torch.Tensor:
        """Normalised ``(T, F)`` features of ``(samples,)`` mono float audio in [-1, 1] (a NumPy array or a
        tensor), computed on the model's device (the GPU when the model is there).

        Args:
            audio: the samples.
            sample_rate: their rate in Hz, resampled to the model's as a file is (None: the model's,
                ``self.features.sample_rate``).

        Raises:
            AudioError: integer samples (PCM), more than one channel, NaN / infinite samples, or a
                ``sample_rate`` below 1.
        """
        audio = mono_samples(audio)
        rate = self.features.sample_rate
        if sample_rate is not None and sample_rate != rate:
            if sample_rate < 1:
                raise AudioError(f"sample_rate={sample_rate}; give the audio's rate in Hz, e.g. 44100")
            audio = resample(audio.astype(np.float32, copy=False), sample_rate, rate)  # as read_audio does
        return self.extractor(torch.from_numpy(np.ascontiguousarray(audio)).to(self.device))

    def log_probs(self, feats: list[torch.Tensor]) -> list[np.ndarray]:
        """Per-utterance ``(T', C)`` log-probabilities of a batch (a list) of ``(T_i, F)`` feature tensors."""
        if isinstance(feats, torch.Tensor):  # before: "Boolean value of Tensor ... is ambiguous"
            raise AudioError(f"got one tensor of shape {tuple(feats.shape)}, not a list; pass [feats]")
        if not feats:
            return []
        lengths = torch.tensor([max(f.shape[0], 1) for f in feats])
        x = torch.zeros(len(feats), int(lengths.max()), self.features.size, device=self.device)
        for i, f in enumerate(feats):
            x[i, : f.shape[0]] = f.to(self.device)
        if self.runtime is not None:  # exported bundle: ONNX Runtime on the CPU
            lp_np, out_np = self.runtime.run(x.cpu(), lengths)
            lp, out_lengths = np.asarray(lp_np, np.float32), torch.from_numpy(np.asarray(out_np))
        else:
            with torch.no_grad():
                lp_t, out_lengths = run_in_precision(lambda: self.model(x, lengths), self.device, self._dtype)
            lp = lp_t.float().cpu().numpy()
        return [lp[i, : int(n)] if feats[i].shape[0] else lp[i, :0] for i, n in enumerate(out_lengths)]

    def file_features(self, path: str | Path) -> torch.Tensor:
        """Normalised ``(T, F)`` features of a file as transcription computes them (silence trimmed)."""
        return self._file_features(str(path), True)[0]

    def _file_features(self, path: str, trim: bool) -> tuple[torch.Tensor, float, float]:
        """Normalised features of a whole file, the seconds trimmed from its start and where its sound
        starts (seconds, untrimmed too; 0 for a ``.mfc`` file, whose audio is not read)."""
        if path.endswith(".mfc"):
            ceps = check_sphinx_front_end(self.features, path)  # the file's cepstra, read once
            return self.extractor.normalize(torch.from_numpy(ceps)), 0.0, 0.0
        rate = self.features.sample_rate
        audio = read_audio(path, rate)
        start, end, onset = sound_span(audio, rate, trim)
        return self.input_features(audio[start:end]), start / rate, onset

    # ---------------------------------------------------------------------------------- transcribe
    @check_args
    def transcribe_files(
        self,
        paths: Iterable[str | Path],
        decoding: DecodeConfig | None = None,
        lm: WordLM | None = None,
        chunk_seconds: float = 30.0,
        max_seconds: float | None = None,
        batch_size: int = 16,
        trim: bool = True,
        skip_errors: bool = False,
        on_chunk: ChunkProgress | None = None,
    ) -> Iterator[Transcript]:
        """Transcribes files in order: short ones in batches, long ones in chunks.

        ``trim`` leaves the leading and trailing silence of short files out of the features (so their
        normalisation statistics are those of the speech, as in training); times stay file times.
        ``skip_errors``: a file that cannot be read (missing, empty, corrupt, silent, too long) is yielded
        in its place as a transcript with ``error`` set (the caller reports it); the others go on.
        ``on_chunk(position, seconds)``: called after each chunk of a recording read in chunks, with the
        seconds of it done (increasing, ending at its length) (:mod:`carrousel.speech.longform`).

        Raises:
            AudioError: one path (or None) instead of a list, or the first file that is empty, corrupt,
                silent or too long (not with ``skip_errors``).
        """
        check_listed(paths, (str, bytes, os.PathLike), AudioError, "path", show=True)  # a str: by letter
        files = [str(p) for p in paths]
        cfg = decoding or DecodeConfig()
        batch: list[tuple[str, torch.Tensor, float, float, float, float | None]] = []

        def flush() -> Iterator[Transcript]:
            for (p, _, secs, lead, onset, sound), lp in zip(
                batch, self.log_probs([b[1] for b in batch]), strict=True
            ):
                hyps = decode(lp, self.alphabet, cfg, self.frame_seconds, lm, lead, sound)
                hyps = [
                    replace(h, words=within_recording(start_at_sound(h.words, [(lead, onset)]), secs))
                    for h in hyps
                ]
                nbest = tuple(hyps) if cfg.nbest > 1 else ()
                blank = blank_mean(lp, self.alphabet.blank)
                yield Transcript(p, hyps[0].text, hyps[0].words, secs, nbest, blank)
            batch.clear()

        for path in files:
            try:
                mfc = path.endswith(".mfc")
                seconds = (Path(path).stat().st_size - 4) / 5200 if mfc else audio_info(path).seconds
                AudioTooLongError.check(path, seconds, max_seconds)
                if reads_in_chunks(path, seconds, chunk_seconds):
                    yield from flush()
                    yield transcribe_long(self, path, cfg, lm, chunk_seconds, seconds, on_chunk, trim)
                    continue
                feats, lead, onset = self._file_features(path, trim)
            except (AudioError, OSError) as exc:
                if not skip_errors:
                    raise
                yield from flush()  # keeps the order of the files
                yield skipped(path, exc)
                continue
            # where the sound starts in the features, as a long file's trimmed chunk tells decode (before:
            # not given, an early first letter was glued to a word said seconds later, "g" + "sheila");
            # None where they start in a silence of unknown length (untrimmed, not cut at the start: a click
            # at 0 s; .mfc), as for long files
            sound = onset - lead if trim and lead > 0 and not mfc else None
            batch.append((path, feats, seconds, lead, onset, sound))
            if len(batch) >= batch_size:
                yield from flush()
        yield from flush()

    # -------------------------------------------------------------------------------------- stream
    def stream(self, chunks: Iterator[np.ndarray]) -> Iterator[Partial]:
        """Transcribes a live stream of mono audio chunks (at the model's rate) with partial results.

        Each chunk is checked as :meth:`input_features` checks its audio (a NumPy array or a tensor of float
        samples, one channel, finite).

        Yields:
            A :class:`Partial` of the current segment whenever its text changes, one with ``segment_end``
            per segment closed (:class:`~carrousel.speech.streaming.GreedyStream`), then a final one with
            the whole transcript (decoded once, from every frame) and its word timings.

        Raises:
            StreamingError: the model is bidirectional or normalises per utterance.
            AudioError: one array instead of chunks, a chunk of integer samples, of more than one channel, or
                holding NaN / infinite ones.
        """
        if not self.streaming:
            raise StreamingError(
                "streaming needs a unidirectional model with causal normalisation; train one with "
                f"{streaming_settings(command=True)} (or use the shipped stream model)"
            )
        if getattr(chunks, "ndim", 2) < 2:  # one recording: iterated, each sample was a chunk of shape ()
            raise AudioError(
                "got one array, not chunks of audio; pass iter([audio]) or np.array_split(audio, n)"
            )
        checked = (mono_samples(c, f"stream chunk {i}: ") for i, c in enumerate(chunks))  # as input_features
        yield from transcribe_stream(self, checked)

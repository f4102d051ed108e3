"""Configurations of carrousel.speech: frozen dataclasses, one per command, composed of parts.

Every field is commented and checked in ``__post_init__`` (:class:`SpeechConfigError`, exit 1 in the CLI).
The CLI builds each config once from its flags; ``--config run.toml`` (``carrousel.core.config.load_toml``)
supplies defaults that flags override. The model's shape (``CTCModelConfig``) is saved with the weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from carrousel.core.config import MAX_EPOCHS, MAX_THREADS, check_device, check_numbers
from carrousel.core.export.choices import InferencePrecision, check_precision_name, check_variant
from carrousel.core.option_names import option
from carrousel.speech.config_checks import check, check_train_data, finite, pair, within
from carrousel.speech.errors import SpeechConfigError
from carrousel.speech.vocab import KINDS

__all__ = [
    "MAX_RECORDING_SECONDS",
    "MAX_WORKERS",
    "MIN_RECORDING_SECONDS",
    "AugmentConfig",
    "ChannelConfig",
    "DecodeConfig",
    "EvaluateConfig",
    "FeatureConfig",
    "StreamConfig",
    "SynthConfig",
    "TrainConfig",
    "TranscribeConfig",
]


# Bounds a flag's range and a config's check share, named once (a flag outside its range is a usage error
# naming it, exit 2; the check covers --config files and Python callers). A bound of one config's field is
# a class attribute of that config (TrainConfig.MAX_HIDDEN), not a field; those of several are here.
MAX_WORKERS = 64  # synthesiser and data-loading processes
MIN_RECORDING_SECONDS, MAX_RECORDING_SECONDS = 0.1, 24 * 3600.0  # max_seconds of transcribe and stream


@dataclass(frozen=True)
class FeatureConfig:
    """Acoustic features: MFCC or log-mel frames computed with torchaudio (saved with every model).

    The default is a telephone-band MFCC front end (20 mel filters up to 4 kHz, 13 cepstra, 25 ms windows
    every 10 ms), the front end of CMU Sphinx's TIDIGITS model: it treats 8 kHz and 16 kHz recordings the
    same way, and Sphinx ``.mfc`` feature files of that kind can be decoded directly.
    """

    kind: str = "mfcc"  # mfcc | logmel
    sample_rate: int = 16000  # audio is resampled to this rate (Hz) before features
    n_mels: int = 20  # mel filters
    n_mfcc: int = 13  # cepstral coefficients kept (kind mfcc)
    f_min: float = 1.0  # lowest filter edge (Hz)
    f_max: float = 4000.0  # highest filter edge (Hz); at most sample_rate / 2
    win_ms: float = 25.0  # analysis window (ms)
    hop_ms: float = 10.0  # frame step (ms)
    n_fft: int = 512  # FFT size (>= the window in samples)
    preemphasis: float = 0.97  # first-order pre-emphasis coefficient (0: off)
    normalize: str = "utterance"  # utterance: mean/variance per utterance; causal: running (streaming); none
    # utterance statistics only over frames within this many dB of the loudest (digital silence left out);
    # 0: over every frame, as before (bundles saved without this field). Training, inference and the
    # exported model's front end all read it from the bundle, so a model is used as it was trained.
    norm_floor_db: float = 0.0

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError)
        finite(self, "f_min", "f_max", "win_ms", "hop_ms", "preemphasis")
        check(self.kind in ("mfcc", "logmel"), f"feature kind must be mfcc or logmel, got {self.kind!r}")
        check(self.normalize in ("utterance", "causal", "none"), "normalize must be utterance|causal|none")
        finite(self, "norm_floor_db")
        check(
            self.norm_floor_db == 0.0 or 10.0 <= self.norm_floor_db <= 200.0,
            f"norm_floor_db must be 0 (every frame) or in 10..200 dB, got {self.norm_floor_db}",
        )
        check(
            8000 <= self.sample_rate <= 48000, f"sample_rate must be in 8000..48000, got {self.sample_rate}"
        )
        check(2 <= self.n_mels <= 256, f"n_mels must be in 2..256, got {self.n_mels}")
        check(1 <= self.n_mfcc <= self.n_mels, f"n_mfcc must be in 1..n_mels, got {self.n_mfcc}")
        check(
            0 <= self.f_min < self.f_max <= self.sample_rate / 2, "need 0 <= f_min < f_max <= sample_rate/2"
        )
        check(1.0 <= self.hop_ms <= self.win_ms <= 100.0, "need 1 <= hop_ms <= win_ms <= 100")
        check(self.n_fft >= self.win_samples, f"n_fft must be at least the window ({self.win_samples})")
        check(0.0 <= self.preemphasis < 1.0, "preemphasis must be in [0, 1)")

    @property
    def win_samples(self) -> int:
        """Window length in samples."""
        return round(self.win_ms * self.sample_rate / 1000)

    @property
    def hop_samples(self) -> int:
        """Frame step in samples."""
        return round(self.hop_ms * self.sample_rate / 1000)

    @property
    def size(self) -> int:
        """Features per frame."""
        return self.n_mfcc if self.kind == "mfcc" else self.n_mels


@dataclass(frozen=True)
class AugmentConfig:
    """On-the-fly training augmentation (none of it runs at inference)."""

    speed: tuple[float, float] = (0.9, 1.1)  # speed perturbation factor range (1, 1: off)
    noise_prob: float = 0.15  # probability of adding white/pink/brown noise to an utterance
    snr_db: tuple[float, float] = (5.0, 30.0)  # signal-to-noise ratio range of that noise (dB)
    vtlp: tuple[float, float] = (0.85, 1.15)  # vocal-tract-length warp of the mel filters (1, 1: off)
    freq_masks: int = 1  # SpecAugment: frequency masks per utterance
    freq_width: int = 2  # SpecAugment: widest frequency mask (feature bins)
    time_masks: int = 1  # SpecAugment: time masks per utterance
    time_width: int = 5  # SpecAugment: widest time mask (frames; at most 20% of the utterance)

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError)
        pair(self.speed, "speed", 0.5, 2.0)
        pair(self.snr_db, "snr_db", -10.0, 80.0)
        pair(self.vtlp, "vtlp", 0.7, 1.3)
        check(0.0 <= self.noise_prob <= 1.0, "noise_prob must be in [0, 1]")
        for name in ("freq_masks", "freq_width", "time_masks", "time_width"):
            check(0 <= getattr(self, name) <= 100, f"{name} must be in 0..100")

    @classmethod
    def off(cls) -> AugmentConfig:
        """No augmentation at all."""
        return cls((1.0, 1.0), 0.0, (5.0, 30.0), (1.0, 1.0), 0, 0, 0, 0)


@dataclass(frozen=True)
class TrainConfig:
    """``speech train``: a CTC model from transcribed audio."""

    data: tuple[str, ...]  # corpora: manifests (.tsv/.csv/.jsonl), folders of audio + .txt, Common Voice,
    # Kaldi data directories, LibriSpeech, Speech Commands, LJSpeech, VCTK or TIMIT roots
    val_data: tuple[str, ...] = ()  # validation corpora (empty: hold out val_fraction of data)
    val_fraction: float = 0.05  # share of utterances held out for validation when val_data is empty
    features: FeatureConfig = field(default_factory=FeatureConfig)  # front end (saved with the model)
    augment: AugmentConfig = field(default_factory=AugmentConfig)  # training augmentation
    hidden: int = 160  # LSTM units per direction
    layers: int = 2  # stacked LSTM layers
    bidirectional: bool = True  # BiLSTM; False for a streaming (unidirectional) model
    conv_channels: int = 128  # convolutional front end channels (0: none)
    subsample: int = 3  # time subsampling of the front end (1..4): 30 ms output frames
    dropout: float = 0.1  # dropout between layers
    subwords: int = 0  # CTC units: 0 = characters; N > 0 = characters plus up to N BPE word pieces
    # learned on the training transcripts (shorter label sequences for large vocabularies)
    epochs: int = 12  # passes over the training data
    max_steps: int | None = None  # stop after this many optimiser steps (None: no limit)
    lr: float = 3e-3  # peak learning rate (one-cycle schedule)
    batch_seconds: float = 32.0  # audio seconds per batch (length-bucketed)
    max_seconds: float = 30.0  # utterances longer than this are skipped in training
    max_utterances: int | None = None  # use at most this many training utterances (None: all)
    seed: int = 0  # seeds data split, augmentation and initialisation
    device: str = "auto"  # cpu | cuda | cuda:N | mps | auto (check_device)
    # training arithmetic: fp32 | bf16 | fp16 (GPU): autocast; weights stay float32
    precision: InferencePrecision = InferencePrecision.FP32
    threads: int | None = None  # torch intra-op threads (None: torch's default)
    workers: int = 1  # data-loading processes (audio, augmentation, features beside the step; 0: none)
    init_from: str | None = None  # a model folder to fine-tune: its weights, architecture, alphabet and
    # front end replace hidden/layers/bidirectional/conv_channels/subsample/features
    MIN_HIDDEN, MAX_HIDDEN, MAX_LAYERS, MAX_SUBSAMPLE, MAX_SUBWORDS = 8, 2048, 8, 4, 8000  # bounds
    MAX_LR, MIN_BATCH_SECONDS, MAX_BATCH_SECONDS, MAX_VAL_FRACTION = 1.0, 1.0, 10_000.0, 0.5  # bounds
    MIN_UTTERANCES = 2  # the bound of max_utterances: a training and a validation utterance

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError, paths="data val_data init_from")
        object.__setattr__(self, "device", check_device(self.device, SpeechConfigError))
        finite(self, "val_fraction", "dropout", "lr", "batch_seconds", "max_seconds")
        check(len(self.data) > 0, f"give at least one training corpus ({option('data')})")
        check(
            0.0 <= self.val_fraction < self.MAX_VAL_FRACTION,
            f"val_fraction must be in [0, {self.MAX_VAL_FRACTION:g})",
        )
        within(self, "hidden", self.MIN_HIDDEN, self.MAX_HIDDEN)
        within(self, "layers", 1, self.MAX_LAYERS)
        check(0 <= self.conv_channels <= 1024, "conv_channels must be in 0..1024")
        within(self, "subsample", 1, self.MAX_SUBSAMPLE)
        check(self.subsample == 1 or self.conv_channels > 0, "subsample > 1 needs conv_channels > 0")
        check(0.0 <= self.dropout < 1.0, "dropout must be in [0, 1)")
        within(self, "subwords", 0, self.MAX_SUBWORDS)
        units = f"{option('subwords')} needs a new model: {option('init_from')} keeps its units"
        check(not (self.subwords and self.init_from), units)
        within(self, "epochs", 1, MAX_EPOCHS)
        check(self.max_steps is None or self.max_steps >= 1, "max_steps must be >= 1")
        check(0.0 < self.lr <= self.MAX_LR, f"lr must be in (0, {self.MAX_LR:g}]")
        within(self, "batch_seconds", self.MIN_BATCH_SECONDS, self.MAX_BATCH_SECONDS)
        check(0.5 <= self.max_seconds <= 600.0, "max_seconds must be in 0.5..600")
        least = self.MIN_UTTERANCES
        check(
            self.max_utterances is None or self.max_utterances >= least, f"max_utterances must be >= {least}"
        )
        if self.threads is not None:  # None: torch's default
            within(self, "threads", 1, MAX_THREADS)
        within(self, "workers", 0, MAX_WORKERS)
        object.__setattr__(self, "precision", check_precision_name(self.precision, SpeechConfigError))
        check(
            self.bidirectional or self.features.normalize != "utterance",
            "a unidirectional (streaming) model needs causal feature normalisation "
            f"({option('features.normalize', 'causal', '--normalize')})",
        )


@dataclass(frozen=True)
class DecodeConfig:
    """How per-frame character probabilities become words."""

    beam: int = 1  # beam width; 1 = greedy (best path)
    nbest: int = 1  # hypotheses returned per utterance (needs beam >= nbest)
    lm: str | None = None  # word n-gram: an ARPA file (.arpa) or plain text, one sentence per line
    model_lm: bool = True  # without lm: beam search uses the model's own LM (its training transcripts)
    lm_order: int = 3  # n-gram order when the LM is built from plain text
    lm_weight: float = 0.5  # weight of the LM log-probability (natural log)
    word_bonus: float = 1.0  # bonus per word (balances the LM's preference for short outputs)
    oov_penalty: float = 4.0  # with an LM: penalty for a word outside its vocabulary
    hotwords: tuple[str, ...] = ()  # words or phrases to favour
    hotword_weight: float = 3.0  # bonus per character of a matching hotword prefix (natural log)
    prune: float = -10.0  # beam: skip characters whose frame log-probability is below this
    MAX_BEAM = 512  # the bound of beam (and so of nbest)
    LM_BEAM = 8  # the beam searched where an LM or hotwords ask for the search and beam is 1

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError, paths="lm")
        finite(self, "lm_weight", "word_bonus", "oov_penalty", "hotword_weight", "prune")
        within(self, "beam", 1, self.MAX_BEAM)
        check(1 <= self.nbest <= self.beam or (self.nbest == 1), "nbest must be in 1..beam")
        check(1 <= self.lm_order <= 6, "lm_order must be in 1..6")
        check(self.lm_weight >= 0 and self.oov_penalty >= 0 and self.hotword_weight >= 0, "weights >= 0")
        check(self.prune < 0, "prune must be negative (a log-probability)")

    @property
    def uses_beam(self) -> bool:
        """Whether prefix beam search runs (a beam, an LM, hotwords or N-best ask for it)."""
        return self.beam > 1 or self.lm is not None or bool(self.hotwords) or self.nbest > 1

    @property
    def width(self) -> int:
        """The beam searched: ``beam``, or :attr:`LM_BEAM` where an LM or hotwords ask for the search and
        ``beam`` is 1. Before, a beam of one, worse than greedy: ``speech evaluate --data sample:tidigits``
        WER 0.652 greedy, 0.705 with ``--hotword marvin``, 0.696 with ``--lm`` (0.455 with ``--beam 8``)."""
        return self.LM_BEAM if self.beam == 1 and (self.lm is not None or self.hotwords) else self.beam


@dataclass(frozen=True)
class TranscribeConfig:
    """``speech transcribe``: recordings to text with timestamps and confidences."""

    model: str | None = None  # model folder (None: the shipped English model)
    decode: DecodeConfig = field(default_factory=DecodeConfig)  # decoding
    chunk_seconds: float = 30.0  # long recordings are transcribed in chunks of this length
    max_seconds: float = 4 * 3600.0  # refuse recordings longer than this
    batch_size: int = 16  # recordings per forward pass
    trim: bool = True  # leave leading/trailing silence of short recordings out of the features
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    threads: int | None = None  # torch intra-op threads (None: torch's default)
    precision: str = "fp32"  # fp32 | bf16 | fp16: autocast of the network (not for an exported model)
    MIN_CHUNK_SECONDS, MAX_CHUNK_SECONDS = 2.0, 600.0  # the bounds of chunk_seconds

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError, paths="model")
        object.__setattr__(self, "device", check_device(self.device, SpeechConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, SpeechConfigError).value)
        finite(self, "chunk_seconds", "max_seconds")
        within(self, "chunk_seconds", self.MIN_CHUNK_SECONDS, self.MAX_CHUNK_SECONDS)
        within(self, "max_seconds", MIN_RECORDING_SECONDS, MAX_RECORDING_SECONDS)
        check(1 <= self.batch_size <= 1024, "batch_size must be in 1..1024")
        if self.threads is not None:  # None: torch's default
            within(self, "threads", 1, MAX_THREADS)


@dataclass(frozen=True)
class EvaluateConfig:
    """``speech evaluate``: WER and CER of a model on transcribed recordings."""

    data: tuple[str, ...]  # corpora (as for training)
    transcribe: TranscribeConfig = field(default_factory=TranscribeConfig)  # model and decoding
    max_utterances: int | None = None  # evaluate at most this many utterances (None: all)

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError, paths="data")
        check(len(self.data) > 0, f"give at least one corpus ({option('data')})")
        check(self.max_utterances is None or self.max_utterances >= 1, "max_utterances must be >= 1")


@dataclass(frozen=True)
class SpeechExportConfig:
    """``speech export``: a recogniser with its acoustic model as ONNX (fp32 / dynamic int8) and a report."""

    model: str | None = None  # a bundle folder (None: the shipped model)
    data: tuple[str, ...] = ()  # transcribed corpora: greedy WER/CER before and after (empty: not measured)
    precision: str = "int8"  # fp32 | int8 (ONNX Runtime dynamic int8 weights)
    exporter: str = "torchscript"  # torchscript | dynamo (PyTorch's two ONNX exporters)
    prune: float = 0.0  # share of the LSTM's units to remove, then fine-tune with CTC (0: none)
    finetune_epochs: int = 5  # most fine-tuning epochs of the pruned network / the student's (early stopping)
    train_data: tuple[str, ...] = ()  # corpora to fine-tune on (empty: the ones the model records)
    static_conv: bool = False  # int8: the convolutions static int8 too, calibrated on training features
    distill: int = 0  # LSTM units per direction of a student trained on the model's posteriors (0: none)

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError, paths="model data train_data")
        object.__setattr__(self, "data", tuple(self.data))
        object.__setattr__(self, "train_data", tuple(self.train_data))
        check(self.precision in ("fp32", "int8"), f"precision must be fp32 or int8, not {self.precision!r}")
        check(
            self.exporter in ("torchscript", "dynamo"),
            f"exporter must be torchscript or dynamo, not {self.exporter!r}",
        )
        check(
            0.0 <= self.prune < 1.0,
            f"{option('prune', self.prune)}: give the share of units to remove, in [0, 1)",
        )
        check(
            1 <= self.finetune_epochs <= MAX_EPOCHS, f"{option('finetune_epochs')} must be in 1..{MAX_EPOCHS}"
        )
        check_variant(self.prune, self.distill, SpeechConfigError)
        check_train_data(self.train_data, self.prune, self.distill)
        conv = f"{option('static_conv')} is for {option('precision', 'int8')}"
        check(self.precision == "int8" or not self.static_conv, conv)


@dataclass(frozen=True)
class StreamConfig:
    """``speech stream``: a recording fed in chunks as if live, with partial results."""

    model: str | None = None  # a unidirectional model folder (None: the shipped streaming model)
    chunk_ms: float = 320.0  # audio per chunk (ms)
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    max_seconds: float = 4 * 3600.0  # refuse recordings longer than this
    threads: int | None = None  # torch intra-op threads (None: torch's default)
    MIN_CHUNK_MS, MAX_CHUNK_MS = 20.0, 10_000.0  # the bounds of chunk_ms

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError, paths="model")
        object.__setattr__(self, "device", check_device(self.device, SpeechConfigError))
        finite(self, "chunk_ms", "max_seconds")
        within(self, "chunk_ms", self.MIN_CHUNK_MS, self.MAX_CHUNK_MS)
        within(self, "max_seconds", MIN_RECORDING_SECONDS, MAX_RECORDING_SECONDS)
        if self.threads is not None:  # None: torch's default
            within(self, "threads", 1, MAX_THREADS)


@dataclass(frozen=True)
class ChannelConfig:
    """Channel and room effects applied to synthesised speech (probabilities per utterance)."""

    telephone_prob: float = 0.3  # 300-3400 Hz band at 8 kHz with mu-law coding
    reverb_prob: float = 0.3  # convolution with a synthetic room impulse response
    rt60: tuple[float, float] = (0.15, 0.7)  # reverberation time range (s)
    noise_prob: float = 0.6  # added noise (white, pink, brown, hum or babble)
    snr_db: tuple[float, float] = (5.0, 35.0)  # signal-to-noise ratio range (dB)
    eq_prob: float = 0.5  # random spectral tilt / low-pass (microphones, codecs)

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError)
        for name in ("telephone_prob", "reverb_prob", "noise_prob", "eq_prob"):
            check(0.0 <= getattr(self, name) <= 1.0, f"{name} must be in [0, 1]")
        pair(self.rt60, "rt60", 0.05, 3.0)
        pair(self.snr_db, "snr_db", -10.0, 80.0)


@dataclass(frozen=True)
class SynthConfig:
    """``speech synth-corpus``: a transcribed corpus synthesised with espeak-ng and flite."""

    out: str  # corpus folder to write (manifest.tsv + wav/)
    utterances: int = 2000  # utterances to synthesise
    vocabulary: tuple[str, ...] = ("digits", "numbers", "letters", "commands")  # utterance kinds
    engines: tuple[str, ...] = ("espeak-ng", "flite")  # synthesisers to use (those installed)
    heldout: bool = False  # use only the held-out voices (a test corpus of unseen voices)
    channel: ChannelConfig = field(default_factory=ChannelConfig)  # channel and room effects
    clean_fraction: float = 0.2  # share of utterances left without channel effects
    noise_share: float = 0.0  # share of utterances without speech (noise or near-silence, empty transcript)
    lone_share: float = 0.0  # share of digit strings and numbers said as 1-2 number words ("twenty one")
    clip_share: float = 0.0  # share of speech starting on its sound; the same share, drawn apart, ends on it
    pause_share: float = 0.0  # share of speech said as 2-4 groups joined by 0.3-1.0 s pauses of silence
    pause_groups: int = 4  # most groups of such a sentence, 2..4 (2: every one 2 groups)
    sample_rate: int = 16000  # sample rate of the written files (Hz)
    seed: int = 0  # seeds texts, voices and effects: the same seed writes the same corpus
    workers: int = 2  # synthesiser processes run in parallel
    MAX_UTTERANCES = 1_000_000  # the bound of utterances

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError, paths="out")
        within(self, "utterances", 1, self.MAX_UTTERANCES)
        check(len(self.vocabulary) > 0, "give at least one vocabulary kind")
        unknown = sorted(set(self.vocabulary) - set(KINDS))
        check(not unknown, f"unknown vocabulary {unknown}; choose from {', '.join(KINDS)}")
        bad, got = sorted(set(self.engines) - {"espeak-ng", "flite"}), list(self.engines)
        check(not bad and len(got) > 0, f"engines are espeak-ng and flite, got {got}")
        for name in ("clean_fraction", "noise_share", "lone_share", "clip_share", "pause_share"):
            check(0.0 <= getattr(self, name) <= 1.0, f"{name} must be in [0, 1]")
        check(8000 <= self.sample_rate <= 48000, "sample_rate must be in 8000..48000")
        within(self, "pause_groups", 2, 4)
        within(self, "workers", 1, MAX_WORKERS)

"""Acoustic features: MFCC or log-mel frames (torchaudio filter banks), normalisation, SpecAugment.

:class:`FeatureExtractor` turns mono audio at the configured rate into ``(frames, features)``:
pre-emphasis, 25 ms Hamming windows every 10 ms with the DC removed, power spectrum, mel filter bank
(torchaudio, HTK mel scale), natural log, and for MFCC an orthonormal DCT (torchaudio). It runs on the
device of its input, so features are computed on the GPU when the audio is there.

Normalisation is per utterance (mean and variance of every coefficient: level, microphone and channel
offsets cancel) or causal for streaming: a running mean and variance that start from the training
corpus's statistics and are updated frame by frame, so frame ``t`` only depends on frames up to ``t``.
``FeatureConfig.norm_floor_db`` > 0 takes the utterance statistics over the frames within that many dB of
the loudest only (long digital silence inside a recording no longer shifts them); 0, the default and what
bundles saved before it mean, takes them over every frame.

Training adds vocal-tract-length perturbation (the mel filters warped by a factor near 1, which shifts
formants like a different speaker's) and SpecAugment masks.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import torch
import torchaudio.functional as AF
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.device import wide_float
from carrousel.speech.audio import read_sphinx_mfc
from carrousel.speech.config import AugmentConfig, FeatureConfig
from carrousel.speech.errors import FrontEndMismatchError

__all__ = [
    "SPHINX_FRONT_END",
    "SPHINX_MAX_SPREAD",
    "CausalNormState",
    "FeatureExtractor",
    "causal_normalize",
    "check_sphinx_front_end",
    "loud_frames",
    "spec_augment",
    "utterance_normalize",
]

_FLOOR = 1e-10  # power floor before the log (digital silence)
PRIOR_FRAMES = 100.0  # weight, in frames, of the corpus statistics in the causal running estimates
# The front end of the Sphinx .mfc files read directly (CMU Sphinx's TIDIGITS model: 20 mel filters from
# 1 Hz to 4 kHz, 13 cepstra, 25 ms windows every 10 ms, pre-emphasis 0.97): the default FeatureConfig.
SPHINX_FRONT_END = FeatureConfig()
# The spread of that front end's cepstra (legacy DCT, no liftering): the median over c1..c12 of each one's
# standard deviation over the frames is 0.89-1.42 in the 31 TIDIGITS files; Sphinx's wideband models (40
# filters, 133-6855 Hz, orthonormal DCT, lifter 22: goforward.mfc) give 12.9. Wider than this is refused.
SPHINX_MAX_SPREAD = 4.0


def check_sphinx_front_end(config: FeatureConfig, path: str) -> np.ndarray:
    """Refuses a Sphinx ``.mfc`` file for a model whose front end is not :data:`SPHINX_FRONT_END`.

    Every setting that changes the features is compared (all but ``normalize``, which the model applies
    to the file's cepstra itself); the first that differs is named. The file itself does not record its
    front end, but cepstra much wider than that front end's (:data:`SPHINX_MAX_SPREAD`) come from another
    one (Sphinx's wideband models) and are refused too.

    Returns:
        ``(T, 13)`` the file's cepstra (:func:`~carrousel.speech.audio.read_sphinx_mfc`), read once here.

    Raises:
        FrontEndMismatchError: ``path``'s features were not computed the way this model's are.
        CorruptAudioError: ``path`` is not a Sphinx MFCC file of 13 cepstra.
    """
    for f in fields(FeatureConfig):
        ours, sphinx = getattr(config, f.name), getattr(SPHINX_FRONT_END, f.name)
        same = math.isclose(ours, sphinx, rel_tol=1e-6) if isinstance(sphinx, float) else ours == sphinx
        if f.name not in ("normalize", "norm_floor_db") and not same:
            raise FrontEndMismatchError(
                f"{path} holds Sphinx MFCC features (13 cepstra) but this model's front end has "
                f"{f.name}={ours!r} (the Sphinx front end's: {sphinx!r}); give the recording's audio"
            )
    ceps = read_sphinx_mfc(path)
    spread = float(np.median(ceps[:, 1:].std(axis=0))) if len(ceps) > 1 else 0.0
    if spread > SPHINX_MAX_SPREAD:  # the file does not record its front end: its cepstra's scale tells
        raise FrontEndMismatchError(
            f"{path} holds cepstra {spread:.1f} wide (median std of c1-c12), not the {SPHINX_MAX_SPREAD:g} "
            "at most of the Sphinx TIDIGITS front end this model expects (20 mel filters, 1-4000 Hz): "
            "another front end's, such as Sphinx's wideband one; give the recording's audio"
        )
    return ceps


def utterance_normalize(feats: Tensor, keep: Tensor | None = None) -> Tensor:
    """``(T, F)`` features with zero mean and unit variance per coefficient over the utterance.

    ``keep`` (``(T,)`` booleans): the frames the mean and variance are taken over (every frame is
    normalised); None, or fewer than two frames kept: all of them.
    """
    stats = feats[keep] if keep is not None and int(keep.sum()) > 1 else feats
    mean = stats.mean(dim=0, keepdim=True)
    std = stats.std(dim=0, unbiased=False, keepdim=True) if stats.shape[0] > 1 else torch.ones_like(mean)
    return (feats - mean) / (std + 1e-5)


@check_args
def loud_frames(level_db: Tensor, floor_db: float) -> Tensor:
    """``(T,)`` booleans: the frames whose level is at most ``floor_db`` below the loudest frame's."""
    return level_db >= level_db.max() - floor_db


class CausalNormState:
    """Running sums of a causal normalisation, carried from chunk to chunk while streaming."""

    def __init__(self, mean: Tensor, std: Tensor, prior: float = PRIOR_FRAMES) -> None:
        self.n = torch.tensor(prior, dtype=torch.float64)
        self.s1 = mean.double() * prior
        self.s2 = (std.double() ** 2 + mean.double() ** 2) * prior


def causal_normalize(feats: Tensor, state: CausalNormState) -> Tensor:
    """Normalises ``(T, F)`` frames with running statistics; updates ``state`` in place.

    Frame ``t`` is normalised with the mean and variance of the prior plus frames ``0..t``.
    """
    if feats.shape[0] == 0:
        return feats
    wide = wide_float(feats.device)  # float64 sums; float32 on MPS, which has none (converted on the CPU)
    x = feats.to(wide)
    n = state.n.to(wide).to(x.device) + torch.arange(1, x.shape[0] + 1, dtype=wide, device=x.device)[:, None]
    s1 = state.s1.to(wide).to(x.device) + torch.cumsum(x, dim=0)
    s2 = state.s2.to(wide).to(x.device) + torch.cumsum(x * x, dim=0)
    mean = s1 / n
    var = (s2 / n - mean * mean).clamp_min(1e-8)
    state.n, state.s1, state.s2 = n[-1, 0], s1[-1], s2[-1]
    return ((x - mean) / var.sqrt()).to(feats.dtype)


class FeatureExtractor:
    """Audio ``(samples,)`` -> features ``(frames, size)`` per a :class:`FeatureConfig`.

    Args:
        config: the front end's settings.
        mean: ``(size,)`` corpus mean of the raw features (prior of causal normalisation).
        std: ``(size,)`` corpus standard deviation of the raw features.

    Example:
        >>> fx = FeatureExtractor(FeatureConfig())
        >>> fx(np.random.randn(16000).astype(np.float32)).shape
        torch.Size([98, 13])
    """

    def __init__(self, config: FeatureConfig, mean: Tensor | None = None, std: Tensor | None = None) -> None:
        self.config = config
        self.mean = mean if mean is not None else torch.zeros(config.size)
        self.std = std if std is not None else torch.ones(config.size)
        self._banks: dict[tuple[float, str], Tensor] = {}
        self._window = torch.hamming_window(config.win_samples, periodic=False)
        self._dct = (
            AF.create_dct(config.n_mfcc, config.n_mels, norm="ortho") if config.kind == "mfcc" else None
        )

    @property
    def frame_seconds(self) -> float:
        """Seconds between feature frames."""
        return self.config.hop_samples / self.config.sample_rate

    @check_args
    def num_frames(self, samples: int) -> int:
        """Frames produced from ``samples`` samples."""
        cfg = self.config
        return 0 if samples < cfg.win_samples else 1 + (samples - cfg.win_samples) // cfg.hop_samples

    def _bank(self, warp: float, device: torch.device) -> Tensor:
        warp = round(warp, 3)  # the bank of the rounded warp, not of the first warp seen: every process alike
        key = (warp, str(device))
        if key not in self._banks:
            cfg = self.config
            nyquist = cfg.sample_rate / 2
            bank = AF.melscale_fbanks(
                cfg.n_fft // 2 + 1,
                cfg.f_min * warp,
                min(cfg.f_max * warp, nyquist),
                cfg.n_mels,
                cfg.sample_rate,
                norm=None,
                mel_scale="htk",
            )
            self._banks[key] = bank.to(device)
        return self._banks[key]

    def raw(self, audio: np.ndarray | Tensor, warp: float = 1.0, previous: float | None = None) -> Tensor:
        """Unnormalised features ``(frames, size)`` of mono float audio.

        Args:
            audio: ``(samples,)`` at the configured rate.
            warp: scales the mel filters' frequencies (vocal-tract-length perturbation).
            previous: the sample before ``audio`` (streaming), for an exact pre-emphasis of its first one.
        """
        cfg = self.config
        x = torch.as_tensor(audio, dtype=torch.float32)
        if x.shape[0] < cfg.win_samples:
            return torch.zeros(0, cfg.size, device=x.device)
        if cfg.preemphasis:
            first = x[:1] - cfg.preemphasis * previous if previous is not None else x[:1]
            x = torch.cat([first, x[1:] - cfg.preemphasis * x[:-1]])
        frames = x.unfold(0, cfg.win_samples, cfg.hop_samples)  # (T, win)
        frames = (frames - frames.mean(dim=1, keepdim=True)) * self._window.to(x.device)
        power = torch.fft.rfft(frames, n=cfg.n_fft).abs().pow(2)  # (T, n_fft/2 + 1)
        mel = torch.log(torch.clamp(power @ self._bank(warp, x.device), min=_FLOOR))
        return mel @ self._dct.to(x.device) if self._dct is not None else mel

    def __call__(self, audio: np.ndarray | Tensor, warp: float = 1.0) -> Tensor:
        """Normalised features ``(frames, size)`` (per utterance, or causal from the corpus prior)."""
        feats = self.raw(audio, warp)
        return self.normalize(feats)

    def normalize(self, feats: Tensor, state: CausalNormState | None = None) -> Tensor:
        """Applies the configured normalisation to raw ``(T, F)`` features (``state`` for streaming)."""
        mode = self.config.normalize
        if mode == "utterance":
            floor = self.config.norm_floor_db
            keep = loud_frames(self.level_db(feats), floor) if floor > 0 and feats.shape[0] > 1 else None
            return utterance_normalize(feats, keep)
        if mode == "causal":
            return causal_normalize(feats, state if state is not None else self.norm_state())
        return feats

    def level_db(self, feats: Tensor) -> Tensor:
        """``(T,)`` level of raw frames in dB: the mean log mel energy (MFCC: c0 of the orthonormal DCT over
        the square root of the filters). Sphinx ``.mfc`` cepstra (legacy DCT) are on another scale."""
        mean_log = feats[:, 0] / math.sqrt(self.config.n_mels) if self._dct is not None else feats.mean(dim=1)
        return mean_log * (10.0 / math.log(10.0))

    def norm_state(self) -> CausalNormState:
        """A fresh causal normalisation state starting from the corpus statistics."""
        return CausalNormState(self.mean, self.std)


def spec_augment(feats: Tensor, cfg: AugmentConfig, gen: torch.Generator) -> Tensor:
    """SpecAugment (Park et al. 2019) on normalised ``(T, F)`` features: masks set to 0 (the mean)."""
    out = feats.clone()
    T, F = out.shape
    for _ in range(cfg.freq_masks):
        w = int(torch.randint(0, cfg.freq_width + 1, (1,), generator=gen))
        if 0 < w < F:
            f0 = int(torch.randint(0, F - w + 1, (1,), generator=gen))
            out[:, f0 : f0 + w] = 0.0
    limit = min(cfg.time_width, int(0.2 * T))
    for _ in range(cfg.time_masks):
        w = int(torch.randint(0, limit + 1, (1,), generator=gen)) if limit > 0 else 0
        if 0 < w < T:
            t0 = int(torch.randint(0, T - w + 1, (1,), generator=gen))
            out[t0 : t0 + w] = 0.0
    return out

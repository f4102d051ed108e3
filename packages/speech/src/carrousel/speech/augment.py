"""Channel and room effects for synthesised speech and on-the-fly training augmentation.

All functions take mono float32 audio and a :class:`numpy.random.Generator` and return new audio:
noise at a given SNR (white, pink, brown, mains hum, or babble made from other utterances), a synthetic
room impulse response (exponentially decaying noise with early reflections) at a given RT60, the
telephone channel (about 300-3400 Hz, 8 kHz, G.711 mu-law, linear or coarser codecs), random microphone colouring
(spectral tilt and low-pass), speed perturbation and level changes. :func:`apply_channel` draws a
random combination per :class:`~carrousel.speech.config.ChannelConfig`; :func:`perturb` the training
augmentation of one utterance per :class:`~carrousel.speech.config.AugmentConfig`, from the random streams
:func:`streams` gives it.
"""

from __future__ import annotations

import numpy as np
import torch
import torchaudio.functional as AF

from carrousel.core.args import check_args
from carrousel.speech.audio import resample
from carrousel.speech.config import AugmentConfig, ChannelConfig

__all__ = [
    "NOISES",
    "add_noise",
    "apply_channel",
    "colour",
    "make_noise",
    "perturb",
    "reverberate",
    "speed",
    "streams",
    "telephone",
]

NOISES = ("white", "pink", "brown", "hum", "babble")


def _coloured(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    return np.fft.irfft(spectrum / freqs ** (exponent / 2), n).astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


@check_args
def make_noise(
    n: int,
    kind: str,
    rng: np.random.Generator,
    sample_rate: int = 16000,
    babble: list[np.ndarray] | None = None,
) -> np.ndarray:
    """``n`` samples of noise of ``kind`` (one of :data:`NOISES`; babble without a pool is pink), any level."""
    if kind == "white":
        return rng.standard_normal(n).astype(np.float32)
    if kind == "brown":
        return _coloured(n, 2.0, rng)
    if kind == "hum":
        t = np.arange(n) / sample_rate
        base = rng.choice((50.0, 60.0))
        hum = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 6))
        return np.asarray(hum, dtype=np.float32) + 0.05 * rng.standard_normal(n).astype(np.float32)
    if kind == "babble" and babble:
        noise = np.zeros(n, dtype=np.float32)
        for _ in range(int(rng.integers(2, 5))):
            other = babble[int(rng.integers(len(babble)))]
            reps = np.tile(other, n // max(len(other), 1) + 1)[:n]
            noise += np.roll(reps, int(rng.integers(n)))
        return noise
    return _coloured(n, 1.0, rng)  # pink


@check_args
def add_noise(
    x: np.ndarray,
    snr_db: float,
    kind: str,
    rng: np.random.Generator,
    sample_rate: int = 16000,
    babble: list[np.ndarray] | None = None,
) -> np.ndarray:
    """``x`` plus noise of ``kind`` (one of :data:`NOISES`) at ``snr_db`` dB below the speech level."""
    noise = make_noise(len(x), kind, rng, sample_rate, babble)
    scale = _rms(x) / (_rms(noise) * 10 ** (snr_db / 20))
    return (x + scale * noise).astype(np.float32)


@check_args
def reverberate(x: np.ndarray, sample_rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` convolved with a synthetic room impulse response of reverberation time ``rt60`` seconds."""
    n = max(int(rt60 * sample_rate), 16)
    t = np.arange(n) / sample_rate
    rir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)  # 60 dB decay over rt60
    rir[0] = 1.0 + abs(rir[0])  # direct path
    for _ in range(4):  # early reflections
        rir[int(rng.integers(int(0.002 * sample_rate), max(int(0.03 * sample_rate), 2)))] += rng.uniform(
            0.2, 0.7
        )
    rir /= np.sqrt(np.sum(rir**2))
    size = len(x) + n - 1
    nfft = 1 << (size - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(rir, nfft), nfft)[: len(x)]
    return (y * _rms(x) / _rms(y)).astype(np.float32)


@check_args
def telephone(x: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """The telephone channel: band-pass about 300-3400 Hz, 8 kHz sampling, a codec, back to the rate.

    The band edges vary (200-400 Hz, 3000-3800 Hz); the codec is 8-bit mu-law (G.711, half the
    calls), linear 16-bit (a clean narrowband line), or a coarser 5-7 bit mu-law (a lossy mobile or
    VoIP codec's quantisation noise), at a random level (gain staging, sometimes clipped).
    """
    narrow = resample(x, sample_rate, 8000)
    t = torch.from_numpy(narrow)
    t = AF.highpass_biquad(t, 8000, float(rng.uniform(200, 400)))
    t = AF.lowpass_biquad(t, 8000, float(rng.uniform(3000, 3800)))
    peak = float(t.abs().max()) + 1e-9
    level = float(rng.uniform(0.3, 1.3))  # above 1: the line clips
    scaled = torch.clamp(t / peak * level, -1.0, 1.0)
    draw = rng.random()
    if draw < 0.25:
        coded = scaled
    else:
        q = 256 if draw < 0.75 else int(2 ** rng.integers(5, 8))
        coded = AF.mu_law_decoding(AF.mu_law_encoding(scaled, q), q)
    return resample((coded * peak / level).numpy().astype(np.float32), 8000, sample_rate)


@check_args
def colour(x: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A random microphone or codec colouring: spectral tilt, then sometimes a low-pass."""
    t = torch.from_numpy(np.ascontiguousarray(x))
    tilt = float(rng.uniform(-0.9, 0.9))
    t = torch.cat([t[:1], t[1:] - tilt * t[:-1]]) if abs(tilt) > 0.1 else t
    if rng.random() < 0.5:
        t = AF.lowpass_biquad(t, sample_rate, float(rng.uniform(2500, min(7000, sample_rate / 2 - 100))))
    if rng.random() < 0.3:
        t = AF.highpass_biquad(t, sample_rate, float(rng.uniform(80, 300)))
    y = t.numpy().astype(np.float32)
    return y * (_rms(x) / _rms(y))


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Plays ``x`` ``factor`` times faster (pitch moves with it), by resampling in steps of 1%."""
    step = round(factor * 100)
    return x if step == 100 else resample(x, step, 100)


@check_args
def apply_channel(
    x: np.ndarray,
    sample_rate: int,
    cfg: ChannelConfig,
    rng: np.random.Generator,
    babble: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """A random chain of effects per ``cfg``; returns the audio and the names of the effects applied."""
    done: list[str] = []
    if rng.random() < cfg.reverb_prob:
        x = reverberate(x, sample_rate, float(rng.uniform(*cfg.rt60)), rng)
        done.append("reverb")
    if rng.random() < cfg.eq_prob:
        x = colour(x, sample_rate, rng)
        done.append("eq")
    noisy = rng.random() < cfg.noise_prob
    phone = rng.random() < cfg.telephone_prob
    if noisy:
        kind = str(rng.choice(NOISES if babble else NOISES[:-1]))
        x = add_noise(x, float(rng.uniform(*cfg.snr_db)), kind, rng, sample_rate, babble)
        done.append(kind)
    if phone:
        x = telephone(x, sample_rate, rng)
        done.append("telephone")
    peak = float(np.max(np.abs(x))) + 1e-9
    return (x * (float(rng.uniform(0.05, 0.95)) / peak)).astype(np.float32), done


@check_args
def streams(seed: int, epoch: int, index: int) -> tuple[np.random.Generator, torch.Generator]:
    """Independent NumPy and torch random streams of sample ``index`` in ``epoch``, seeded by
    ``(seed, epoch, index)`` alone: the same in any process, so a sample's augmentation does not depend
    on which data-loading worker draws it, nor on how many there are.

    Raises:
        ValueError: a negative number.
    """
    wave, masks = np.random.SeedSequence([seed, epoch, index]).spawn(2)
    return np.random.default_rng(wave), torch.Generator().manual_seed(int(masks.generate_state(1)[0]))


@check_args
def perturb(x: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """The training augmentation of one utterance's audio: a speed factor, then (with ``cfg.noise_prob``)
    white, pink or brown noise; returns the audio and the vocal-tract-length warp its features take."""
    x = speed(x, float(rng.uniform(*cfg.speed)))
    if rng.random() < cfg.noise_prob:
        x = add_noise(x, float(rng.uniform(*cfg.snr_db)), str(rng.choice(NOISES[:3])), rng)
    return x, float(rng.uniform(*cfg.vtlp))

"""Augmentation and channel effects measured directly: SpecAugment's mask sizes, noise at the asked SNR,
speed perturbation's length, the telephone channel's band limit, and seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carrousel.speech.augment import NOISES, add_noise, apply_channel, speed, telephone
from carrousel.speech.config import AugmentConfig, ChannelConfig
from carrousel.speech.features import spec_augment


def _voice(seconds: float = 1.0, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 30))  # harmonics up to 4.35 kHz
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def test_spec_augment_masks_within_the_configured_widths() -> None:
    feats = torch.randn(200, 13) + 5.0  # no zero before masking
    cfg = AugmentConfig(freq_masks=2, freq_width=3, time_masks=2, time_width=10)
    gen = torch.Generator().manual_seed(0)
    for _ in range(50):
        out = spec_augment(feats, cfg, gen)
        zero_cols = int((out == 0).all(dim=0).sum())
        zero_rows = int((out == 0).all(dim=1).sum())
        assert zero_cols <= 2 * 3 and zero_rows <= 2 * 10
        kept = out != 0
        assert torch.equal(out[kept], feats[kept])  # nothing else changes
    assert not torch.equal(spec_augment(feats, cfg, torch.Generator().manual_seed(1)), feats)
    same = spec_augment(feats, cfg, torch.Generator().manual_seed(3))
    assert torch.equal(same, spec_augment(feats, cfg, torch.Generator().manual_seed(3)))


@pytest.mark.parametrize("kind", NOISES[:-1])
@pytest.mark.parametrize("snr", [0.0, 10.0, 25.0])
def test_noise_at_the_asked_snr(kind: str, snr: float) -> None:
    x = _voice()
    y = add_noise(x, snr, kind, np.random.default_rng(0))
    noise = y - x
    measured = 10 * np.log10(np.mean(x**2) / np.mean(noise**2))
    assert abs(measured - snr) < 0.01 and y.dtype == np.float32


def test_speed_changes_length_by_the_factor() -> None:
    x = _voice()
    for factor in (0.9, 1.1, 1.0):
        assert abs(len(speed(x, factor)) - len(x) / factor) <= 2


def test_telephone_channel_removes_the_band_above_4khz() -> None:
    x = _voice() + 0.05 * np.sin(2 * np.pi * 6000 * np.arange(16000) / 16000).astype(np.float32)
    y = telephone(x, 16000, np.random.default_rng(0))
    spec_x, spec_y = np.abs(np.fft.rfft(x)) ** 2, np.abs(np.fft.rfft(y)) ** 2  # power spectra
    hz = np.fft.rfftfreq(len(x), 1 / 16000)
    high = (hz > 4500) & (hz < 7500)
    assert spec_y[high].sum() < 1e-3 * spec_x[high].sum()  # -30 dB: nothing above the 8 kHz channel's Nyquist
    voice = (hz > 500) & (hz < 3000)
    assert spec_y[voice].sum() > 0.1 * spec_x[voice].sum()


def test_channel_chain_is_reproducible_and_bounded() -> None:
    x = _voice()
    cfg = ChannelConfig(reverb_prob=1.0, eq_prob=1.0, noise_prob=1.0, telephone_prob=1.0)
    a, done = apply_channel(x, 16000, cfg, np.random.default_rng(7))
    b, _ = apply_channel(x, 16000, cfg, np.random.default_rng(7))
    assert np.array_equal(a, b) and {"reverb", "eq", "telephone"} <= set(done)
    assert np.isfinite(a).all() and 0.04 < np.abs(a).max() < 0.96

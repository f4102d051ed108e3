"""Training augmentation is a function of (seed, epoch, utterance) only: the worker count changes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.speech.config import AugmentConfig, FeatureConfig
from carrousel.speech.data import SpeechDataset, Utterance, make_loader
from carrousel.speech.features import FeatureExtractor
from carrousel.speech.text import ENGLISH


def _corpus(tmp_path: Path, write_wav, tone) -> list[Utterance]:  # type: ignore[no-untyped-def]
    utts = []
    for i in range(8):
        seconds = 0.3 + 0.07 * i
        path = write_wav(f"{i}.wav", tone(seconds, freq=150.0 + 20 * i))
        utts.append(Utterance(str(path), "yes no"[: 2 + i % 5].strip(), seconds))
    return utts


def _epochs(utts: list[Utterance], seed: int, workers: int) -> list[list[torch.Tensor]]:
    """The collated batches of epochs 0 to 3 of a fully augmented training loader, then the global RNG's
    state (dropout's) after them."""
    augment = AugmentConfig(noise_prob=1.0, freq_width=4, time_width=8)
    dataset = SpeechDataset(utts, FeatureExtractor(FeatureConfig()), ENGLISH, augment, seed)
    loader = make_loader(dataset, batch_seconds=1.5, shuffle=True, seed=seed, workers=workers)
    torch.manual_seed(0)
    out = []
    for epoch in range(4):
        loader.batch_sampler.set_epoch(epoch)  # type: ignore[union-attr]  # as the trainer does
        out.append([t for batch in loader for t in batch])
    return [*out, [torch.random.get_rng_state()]]


def test_augmentation_does_not_depend_on_the_worker_count(tmp_path, write_wav, tone) -> None:  # type: ignore[no-untyped-def]
    utts = _corpus(tmp_path, write_wav, tone)
    torch.set_num_threads(2)  # the main process's threads (a worker has one); the fixture puts them back
    in_process, two_workers = _epochs(utts, 7, workers=0), _epochs(utts, 7, workers=2)
    for epoch in range(4):
        assert len(in_process[epoch]) == len(two_workers[epoch]) > 4  # several batches, so both workers work
        for a, b in zip(in_process[epoch], two_workers[epoch], strict=True):
            assert torch.equal(a, b), f"epoch {epoch}: the features depend on the worker count"
    assert torch.equal(in_process[4][0], two_workers[4][0]), "the loader left the global RNG elsewhere"


def test_augmentation_differs_between_epochs_and_seeds(tmp_path, write_wav, tone) -> None:  # type: ignore[no-untyped-def]
    utts = _corpus(tmp_path, write_wav, tone)
    augment = AugmentConfig(noise_prob=1.0)
    fx = FeatureExtractor(FeatureConfig())
    seven, eight = (SpeechDataset(utts, fx, ENGLISH, augment, s) for s in (7, 8))
    first = seven[(0, 3)][0]
    assert torch.equal(first, seven[(0, 3)][0])  # redrawn, not carried on: the same every time it is read
    assert not torch.equal(first, seven[(1, 3)][0])  # another epoch: other augmentation
    assert not torch.equal(first, eight[(0, 3)][0])  # another seed: other augmentation
    assert torch.equal(seven[3][0], first)  # a plain index is epoch 0's
    plain = SpeechDataset(utts, fx, ENGLISH)  # no augmentation (evaluation): the same in every epoch
    assert torch.equal(plain[(0, 3)][0], plain[(5, 3)][0])
    assert np.isfinite(first.numpy()).all()


def test_mel_bank_does_not_depend_on_the_warps_seen_before(tone) -> None:  # type: ignore[no-untyped-def]
    x = tone(0.5)
    fresh = FeatureExtractor(FeatureConfig()).raw(x, 1.0504)
    used = FeatureExtractor(FeatureConfig())
    used.raw(x, 1.0496)  # the same bank key (warp rounded to 0.001): it must not be this warp's bank
    assert torch.equal(used.raw(x, 1.0504), fresh)


def test_a_negative_seed_is_refused_up_front_augmented_or_not(tmp_path, write_wav, tone) -> None:  # type: ignore[no-untyped-def]
    """The seed was checked only as a side effect of drawing augmentation streams (NumPy's ValueError
    "expected non-negative integer"); now one up-front check, in the words of every config's seed."""
    from carrousel.speech.config import TrainConfig
    from carrousel.speech.errors import SpeechConfigError

    utts = _corpus(tmp_path, write_wav, tone)[:1]
    fx = FeatureExtractor(FeatureConfig())
    for augment in (None, AugmentConfig()):
        with pytest.raises(SpeechConfigError) as err:
            SpeechDataset(utts, fx, ENGLISH, augment, -1)
        assert str(err.value) == "SpeechDataset: seed=-1 is negative; give a seed of 0 or more"
    with pytest.raises(
        SpeechConfigError, match=r"^TrainConfig: seed=-1 is negative; give a seed of 0 or more$"
    ):
        TrainConfig(data=("corpus.tsv",), seed=-1)

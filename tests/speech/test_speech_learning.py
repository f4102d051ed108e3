"""The learning test: a small BiLSTM-CTC model learns spoken digits from a few espeak-ng voices and
transcribes voices it never heard.

The corpus is synthesised once per module into tmp (300 short utterances of 6 voices, one to three digits
each, with a little noise) and shared by both cases; two other voice variants are held out. After about 30 s of training on one CPU thread
(a one-layer BiLSTM, which leaves CTC's all-blank plateau in far fewer steps than a deeper one, and
vocal-tract-length perturbation, which stands in for unseen speakers), greedy decoding reaches a
character error rate under 0.25 on the held-out voices. A model that outputs nothing scores 1.0; the
runs measured while writing this test scored 0.08.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import time

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.config import AugmentConfig, EvaluateConfig, TrainConfig, TranscribeConfig
from carrousel.speech.pipeline import evaluate, train
from carrousel.speech.synth import Voice, synthesize
from carrousel.speech.vocab import DIGITS

TRAIN_VOICES = ("en-us+m1", "en-us+f2", "en-gb+m3", "en-gb-x-rp+f3", "en-us+klatt", "en-gb-scotland+m7")
TEST_VOICES = ("en-us+f4", "en-gb+m6")
TARGET_CER = 0.25


def _corpus(folder, voices: tuple[str, ...], n: int, seed: int) -> str:
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    folder.mkdir()
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(DIGITS[1:]) for _ in range(rng.choice((1, 1, 2, 3))))
        voice = Voice("espeak-ng", voices[i % len(voices)], rng.uniform(140, 200), rng.uniform(30, 70))
        x, rate = synthesize(text, voice)
        x = np.concatenate([np.zeros(rate // 10, np.float32), x, np.zeros(rate // 10, np.float32)])
        x = x / (np.abs(x).max() + 1e-9) * 0.5 + 0.003 * noise.standard_normal(len(x)).astype(np.float32)
        name = f"{i:04d}.wav"
        sf.write(str(folder / name), x, rate)
        rows.append([name, text, f"{len(x) / rate:.3f}"])
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\n").writerows([["path", "transcript", "seconds"], *rows])
    (folder / "manifest.tsv").write_text(buf.getvalue(), encoding="utf-8")
    return str(folder / "manifest.tsv")


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """``(train manifest, held-out manifest)``, synthesised once for both cases (about 10 s)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (make system)")
    root = tmp_path_factory.mktemp("digits")
    return _corpus(root / "train", TRAIN_VOICES, 300, seed=1), _corpus(root / "test", TEST_VOICES, 40, seed=2)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("subwords", "epochs", "seed"), [(0, 12, 0), (12, 24, 1)], ids=["characters", "subwords"]
)
def test_learns_digits_and_transcribes_unseen_voices(
    tmp_path, digits: tuple[str, str], subwords: int, epochs: int, seed: int
) -> None:
    """Characters, and BPE word pieces (12 merges: each digit word spelled in about 0.6 times as many
    units), both learn. Units that are rarer than letters need more epochs to leave CTC's blank plateau:
    24 (a run measured while writing this: held-out CER 0.054; 0.705 after 12). Even then a seed now and
    then leaves it late: with the per-utterance augmentation streams, seeds 1 to 7 scored CER 0.037-0.064,
    seed 0 0.423 (final loss 0.74 against about 0.1); seed 1 is used."""
    start = time.perf_counter()
    train_set, test_set = digits
    cfg = TrainConfig(
        data=(train_set,),
        val_fraction=0.05,
        augment=AugmentConfig(
            speed=(1.0, 1.0), noise_prob=0.0, vtlp=(0.88, 1.12), freq_masks=1, time_masks=0
        ),
        hidden=128,
        layers=1,
        conv_channels=64,
        subsample=3,
        subwords=subwords,
        epochs=epochs,
        lr=5e-3,
        batch_seconds=5.0,
        seed=seed,
        device="cpu",
    )
    result = train(cfg, tmp_path / "model")
    if subwords:
        from carrousel.speech.recognizer import Recognizer

        units = Recognizer.from_pretrained(tmp_path / "model").alphabet
        pieces = sum(len(units.encode(d)) for d in DIGITS[1:])
        assert units.subword and pieces <= 0.7 * sum(len(d) for d in DIGITS[1:])
    assert result.utterances > 250 and result.history[-1]["train_loss"] < result.history[0]["train_loss"] / 3
    scored = evaluate(
        EvaluateConfig(data=(test_set,), transcribe=TranscribeConfig(model=str(tmp_path / "model")))
    )
    print(
        f"held-out CER {scored.totals.cer:.3f}, WER {scored.totals.wer:.3f}, {time.perf_counter() - start:.0f} s"
    )
    assert scored.totals.cer < TARGET_CER

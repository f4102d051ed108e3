"""Real-recording samples (declared, cached by `make data`), the front end against Sphinx's, and synthesis."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from carrousel.core.errors import CarrouselError
from carrousel.core.samples import sample_path
from carrousel.speech.audio import read_audio, read_sphinx_mfc
from carrousel.speech.config import FeatureConfig, SynthConfig
from carrousel.speech.features import FeatureExtractor
from carrousel.speech.samples import GROUPS, REGISTRY, SAMPLES
from carrousel.speech.synth import (
    ESPEAK_HELDOUT_ACCENTS,
    ESPEAK_HELDOUT_VARIANTS,
    ESPEAK_VARIANTS,
    FLITE_HELDOUT,
    FLITE_VOICES,
    random_voice,
    synth_corpus,
)


def test_samples_are_pinned_debian_files() -> None:
    assert len(REGISTRY) == len(SAMPLES) == 99 + 59
    assert all(s.source == "debian" and len(s.sha256) == 64 and s.name.startswith("speech.") for s in SAMPLES)
    assert {s.package for s in SAMPLES} == {
        "pocketsphinx-testdata",
        "klettres-data",
        "asterisk-core-sounds-en-gsm",
    }
    asterisk = [s for s in SAMPLES if s.package == "asterisk-core-sounds-en-gsm"]
    assert all(s.member.endswith(".gsm") and s.licence.startswith("CC-BY-SA-3.0") for s in asterisk)


def test_groups_have_transcripts(real) -> None:
    sizes = {g: len(real(g)) for g in GROUPS}
    assert sizes == {
        "goforward": 1,
        "tidigits": 32,
        "cards": 5,
        "librivox": 5,
        "klettres_en": 26,
        "klettres_en_gb": 26,
        "asterisk_numbers": 33,
        "asterisk_letters": 26,
    }
    path, text = real("tidigits")[2]
    assert path.name == "man.ah.2934za.mfc" and text == "two nine three four zero"
    assert real("klettres_en")[1][1] == "b"
    numbers = dict((p.name, t) for p, t in real("asterisk_numbers"))
    assert numbers["17.gsm"] == "seventeen" and numbers["90.gsm"] == "ninety" and numbers["oh.gsm"] == "oh"
    assert real("asterisk_letters")[25][0].name == "z.gsm" and real("asterisk_letters")[25][1] == "z"


def test_front_end_matches_sphinx_mfcc(real) -> None:
    """Our MFCC of goforward.raw against the file Sphinx computed from it (its wideband settings)."""
    real("goforward")
    try:
        mfc = read_sphinx_mfc(sample_path("speech.goforward.mfc", registry=REGISTRY))
    except CarrouselError as exc:  # not cached
        pytest.skip(str(exc))
    ours = FeatureExtractor(FeatureConfig(n_mels=40, f_min=133.3334, f_max=6855.4976, win_ms=25.625))
    raw = ours.raw(read_audio(sample_path("speech.goforward.raw", registry=REGISTRY), 16000)).numpy()
    n = min(len(raw), len(mfc))
    corr = [np.corrcoef(raw[:n, i], mfc[:n, i])[0, 1] for i in range(13)]
    assert min(corr) > 0.9 and np.mean(corr) > 0.96  # equal up to a per-coefficient scale: CMVN removes it


def test_heldout_voices_are_never_training_voices() -> None:
    rng = np.random.default_rng(0)
    train = {random_voice(rng, ("espeak-ng", "flite"), False).name for _ in range(400)}
    held = {random_voice(rng, ("espeak-ng", "flite"), True).name for _ in range(200)}
    assert not train & held
    assert all(v.split("+")[-1] in ESPEAK_VARIANTS or v in FLITE_VOICES for v in train)
    assert all(v.split("+")[-1] in ESPEAK_HELDOUT_VARIANTS or v in FLITE_HELDOUT for v in held)
    assert any(v.split("+")[0] in ESPEAK_HELDOUT_ACCENTS for v in held)


def test_synth_corpus_is_reproducible(tmp_path) -> None:
    if not (shutil.which("espeak-ng") and shutil.which("flite")):
        pytest.skip("espeak-ng and flite are not installed (make system)")
    rows = []
    for name in ("a", "b"):
        result = synth_corpus(SynthConfig(out=str(tmp_path / name), utterances=6, seed=3))
        assert result.utterances == 6 and result.seconds > 3
        with open(result.manifest, encoding="utf-8") as fh:
            rows.append(list(csv.reader(fh, delimiter="\t")))
    assert rows[0] == rows[1] and rows[0][0] == [
        "path",
        "transcript",
        "seconds",
        "speaker",
        "kind",
        "effects",
    ]
    assert all(float(r[2]) > 0.3 for r in rows[0][1:])
    assert read_audio(tmp_path / "a" / rows[0][1][0], 16000).size > 0


def test_asterisk_transcripts_without_cache(monkeypatch) -> None:
    """The Asterisk groups' transcripts come from the sample names alone: checked with no cache."""
    from carrousel.speech import samples
    from carrousel.speech.vocab import VOCABULARY

    monkeypatch.setattr(samples, "_path", lambda name: Path(REGISTRY[name].filename))
    numbers = {p.name: t for p, t in samples.sample_recordings("asterisk_numbers")}
    assert (
        numbers["0.gsm"] == "zero" and numbers["13.gsm"] == "thirteen" and numbers["hundred.gsm"] == "hundred"
    )
    letters = [t for _, t in samples.sample_recordings("asterisk_letters")]
    assert letters == list("abcdefghijklmnopqrstuvwxyz")
    assert all(w in VOCABULARY for t in [*numbers.values(), *letters] for w in t.split())  # inside the domain

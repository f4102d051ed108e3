"""Clips that start on their word: ``speech synth-corpus --clip-share F`` starts a share of the speech
utterances on their first sound (no silence before, the synthesiser's own cut) and, drawn apart, ends
the same share on their last, before the channel.

Without it every training utterance had 0.05-0.35 s of digital silence each side, and the shipped model
read real recordings cut to their sound (push-to-talk, a voice-activity detector) without their first
sound: clipped KLettres and Asterisk letters came out wrong or as nothing (README, ``bench_speech_accuracy.py
--clipped``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from carrousel.speech.audio import speech_bounds
from carrousel.speech.config import SynthConfig
from carrousel.speech.synth import synth_corpus
from tests.speech.conftest import manifest_rows


def test_synth_clip_share_cuts_only_the_edges(tmp_path: Path, engines) -> None:
    base_cfg = SynthConfig(out=str(tmp_path / "n"), utterances=24, seed=4, noise_share=0.2, workers=1)
    base = manifest_rows(synth_corpus(base_cfg).manifest)
    cut = manifest_rows(
        synth_corpus(
            SynthConfig(**{**vars(base_cfg), "out": str(tmp_path / "c"), "clip_share": 0.5})
        ).manifest
    )
    changed = [i for i, (a, b) in enumerate(zip(base, cut, strict=True)) if a != b]
    assert changed, "a share of 0.5 cut no utterance"
    for i in changed:  # text, speaker and kind kept; shorter; the effects say which edge was cut
        assert base[i][1] == cut[i][1] and base[i][3:5] == cut[i][3:5] and cut[i][4] != "none"
        assert float(cut[i][2]) < float(base[i][2])
        tags = [e for e in cut[i][5].split("+") if e.startswith("cut-")]
        assert tags in (["cut-lead"], ["cut-tail"], ["cut-lead", "cut-tail"])
        assert "+".join(e for e in cut[i][5].split("+") if e not in tags) in (base[i][5], "")
    for i in set(range(24)) - set(changed):  # the rest are the corpus without the option, byte for byte
        assert "cut-" not in cut[i][5]
        assert (tmp_path / "c" / cut[i][0]).read_bytes() == (tmp_path / "n" / base[i][0]).read_bytes()


def test_synth_clip_share_one_starts_every_clean_utterance_on_its_sound(tmp_path: Path, engines) -> None:
    cfg = SynthConfig(
        out=str(tmp_path / "c"), utterances=12, seed=9, clean_fraction=1.0, clip_share=1.0, workers=1
    )
    rows = manifest_rows(synth_corpus(cfg).manifest)
    assert all(r[5] == "cut-lead+cut-tail" for r in rows)
    for r in rows:  # without a channel: the sound fills the clip (within one 10 ms frame each side)
        audio, rate = sf.read(str(tmp_path / "c" / r[0]))
        start, end = speech_bounds(audio, rate, margin=0.0)
        assert start <= rate // 100 and len(audio) - end <= rate // 100


def test_config_refuses_a_clip_share_outside_0_1(tmp_path: Path) -> None:
    from carrousel.speech.errors import SpeechConfigError

    with pytest.raises(SpeechConfigError, match="clip_share"):
        SynthConfig(out=str(tmp_path / "c"), clip_share=-0.2)


# Real letters cut to their sound (as ``bench_speech_accuracy.py --clipped`` cuts them) that v4 read
# wrong or not at all (K -> nothing, Q -> "u", British p -> "b", t -> "d", Asterisk v -> "b", x -> nothing)
# and the model trained with ``--clip-share 0.3`` reads right (greedy).
_CLIPPED_LETTERS = {
    "klettres_en": ("K.ogg", "L.ogg", "Q.ogg"),
    "klettres_en_gb": ("p.ogg", "q.ogg", "t.ogg"),
    "asterisk_letters": ("k.gsm", "q.gsm", "v.gsm", "x.gsm"),
}


def test_shipped_model_reads_real_letters_that_start_on_their_sound(real, tmp_path: Path) -> None:
    from carrousel.speech.audio import read_audio
    from carrousel.speech.pipeline import load_model

    files, truth = [], []
    for group, names in _CLIPPED_LETTERS.items():
        for path, text in real(group):
            if path.name in names:
                audio = read_audio(path, 16000)
                start, end = speech_bounds(audio, 16000, margin=0.0)
                files.append(tmp_path / f"{group}_{path.stem}.wav")
                sf.write(str(files[-1]), audio[start:end], 16000, subtype="PCM_16")
                truth.append(text)
    assert len(files) == 10
    assert [t.text for t in load_model().transcribe_files(files)] == truth

"""The recogniser: long recordings in chunks (frames stitched once each, bounded pieces), silence, streaming."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.speech import longform
from carrousel.speech import recognizer as rec_mod
from carrousel.speech.config import DecodeConfig, FeatureConfig
from carrousel.speech.errors import (
    AudioTooLongError,
    FrontEndMismatchError,
    SilentAudioError,
    SpeechConfigError,
)
from carrousel.speech.models import CTCModel, CTCModelConfig
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.text import ENGLISH


def tiny(bidirectional: bool = True, normalize: str = "utterance") -> Recognizer:
    torch.manual_seed(0)
    net = CTCModel(
        CTCModelConfig(13, ENGLISH.size, hidden=8, layers=1, conv_channels=8, bidirectional=bidirectional)
    )
    feats = FeatureConfig(normalize=normalize)
    return Recognizer(net, ENGLISH, feats, np.zeros(13, np.float32), np.ones(13, np.float32))


def test_long_recording_is_stitched_from_chunks(monkeypatch, write_wav, tone) -> None:
    seconds = 47.3
    path = write_wav("long.wav", tone(seconds, 8000), 8000)
    pieces: list[tuple[int, float]] = []
    real_decode = rec_mod.decode

    def spy(lp, alphabet, cfg, fs, lm=None, offset=0.0, sound_start=None):  # type: ignore[no-untyped-def]
        pieces.append((len(lp), offset))
        return real_decode(lp, alphabet, cfg, fs, lm, offset, sound_start)

    monkeypatch.setattr(longform, "decode", spy)
    r = tiny()
    (t,) = r.transcribe_files([str(path)], DecodeConfig(), chunk_seconds=10.0)
    assert t.seconds == pytest.approx(seconds) and len(pieces) >= 4
    total = sum(n for n, _ in pieces)
    assert abs(total - seconds / r.frame_seconds) <= 3  # every frame decoded once, none twice
    offsets = [o for _, o in pieces]
    assert offsets == sorted(offsets) and offsets[0] == 0.0
    assert max(n for n, _ in pieces) * r.frame_seconds <= 2 * 10.0 + 1  # bounded pieces
    assert all(a.end <= b.start + 1e-9 for a, b in zip(t.words, t.words[1:], strict=False))


def test_short_files_are_batched_and_match_one_by_one(write_wav, tone) -> None:
    r = tiny()
    paths = [str(write_wav(f"{i}.wav", tone(0.5 + 0.3 * i, freq=150 + 40 * i))) for i in range(3)]
    batched = [t.text for t in r.transcribe_files(paths, batch_size=3)]
    single = [next(iter(r.transcribe_files([p]))).text for p in paths]
    assert batched == single


def test_silent_long_recording_and_limit(write_wav) -> None:
    path = write_wav("quiet.wav", np.zeros(16000 * 40, np.float32))
    with pytest.raises(SilentAudioError):
        list(tiny().transcribe_files([str(path)], chunk_seconds=10.0))
    with pytest.raises(AudioTooLongError):
        list(tiny().transcribe_files([str(path)], max_seconds=30.0))


def _too_long_lines(path: str) -> list[str]:
    """The refusals of a file over a 1 s limit: read whole, read chunked and transcribed."""
    from carrousel.speech.audio import iter_chunks, read_audio

    lines = []
    for attempt in (
        lambda: read_audio(path, max_seconds=1.0),
        lambda: list(iter_chunks(path, 16000, 1.0, max_seconds=1.0)),
        lambda: list(tiny().transcribe_files([path], max_seconds=1.0)),
    ):
        with pytest.raises(AudioTooLongError) as exc:
            attempt()
        lines.append(str(exc.value))
    return lines


def test_a_recording_too_long_says_one_thing_read_chunked_or_transcribed(write_wav, tone) -> None:
    """The 'too long' line has one source (AudioTooLongError.of): a whole read, a chunked read and a
    transcription of the same file say the same. Before, transcribe_files wrote its own ('...; raise
    max_seconds or split it'), audio.py's two reads another ('...; split it or raise the limit (...)')."""
    path = str(write_wav("long.wav", tone(2.0)))
    assert (
        _too_long_lines(path)
        == [f"{path} lasts 2.0 s, over the 1 s limit; split it or raise the limit (max_seconds)"] * 3
    )


def test_the_length_check_is_one_function_and_its_line_shows_the_excess(write_wav, tone) -> None:
    """One check (AudioTooLongError.check) for a whole read, a chunked read and a transcription; before,
    each wrote its own 'limit is not None and seconds > limit'. A file just over the limit said it lasted
    the limit ('lasts 1.0 s, over the 1 s limit'): now as many decimals as show the excess."""

    AudioTooLongError.check("a.wav", 5.0, None)  # no limit
    AudioTooLongError.check("a.wav", 1.0, 1.0)  # at the limit: kept
    path = str(write_wav("just_over.wav", tone(1.02)))
    with pytest.raises(AudioTooLongError) as exc:
        AudioTooLongError.check(path, 1.02, 1.0)
    lines = [str(exc.value), *_too_long_lines(path)]
    assert (
        lines == [f"{path} lasts 1.02 s, over the 1 s limit; split it or raise the limit (max_seconds)"] * 4
    )


def test_stream_partials_and_final(tone, write_wav) -> None:
    r = tiny(bidirectional=False, normalize="causal")
    audio = tone(2.0, freq=130.0) * np.linspace(0.2, 1.0, 32000, dtype=np.float32)
    updates = list(r.stream(audio[i : i + 5120] for i in range(0, len(audio), 5120)))
    assert updates[-1].final and updates[-1].time == pytest.approx(2.0)
    assert all(not u.final for u in updates[:-1])
    times = [u.time for u in updates]
    assert times == sorted(times)
    (whole,) = r.transcribe_files([str(write_wav("s.wav", audio, subtype="FLOAT"))])
    assert updates[-1].text == whole.text and len(whole.text) > 0  # streaming = offline for a causal model


def test_an_empty_transcription_does_not_claim_full_confidence(write_wav, tone) -> None:
    """An empty decode's confidence is the mean blank posterior of its frames (it was 1.0 always), and
    0.0 for a recording too short for a single frame, for short files and for long ones read in chunks."""
    r = tiny()
    with torch.no_grad():  # every frame: blank at logit 3, the 28 characters at 0
        r.model.head.weight.zero_()
        r.model.head.bias.copy_(torch.tensor([3.0] + [0.0] * (ENGLISH.size - 1)))
    p_blank = float(np.exp(3.0) / (np.exp(3.0) + ENGLISH.size - 1))  # 0.418: the argmax, but unsure
    short, long_, tiny_file = (
        write_wav(n, tone(s)) for n, s in (("a.wav", 1.0), ("b.wav", 5.0), ("c.wav", 0.005))
    )
    got = list(
        r.transcribe_files([str(short), str(long_), str(tiny_file)], DecodeConfig(), chunk_seconds=2.0)
    )
    assert [t.text for t in got] == ["", "", ""]
    assert got[0].confidence == pytest.approx(p_blank, abs=1e-3)
    assert got[1].confidence == pytest.approx(p_blank, abs=1e-3)  # long: frames of every chunk
    assert got[2].confidence == 0.0  # no frame at all: no evidence
    assert rec_mod.Transcript("x.wav", "", (), 1.0).confidence == 0.0


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("sample_rate", 8000),
        ("n_mels", 40),
        ("n_mfcc", 12),
        ("f_min", 133.3334),
        ("f_max", 6855.4976),
        ("win_ms", 25.625),
        ("hop_ms", 15.0),
        ("n_fft", 1024),
        ("preemphasis", 0.0),
    ],
)
def test_a_feature_file_needs_every_setting_of_the_sphinx_front_end(tmp_path, setting, value) -> None:
    """A Sphinx .mfc file was decoded by any MFCC model with 13 cepstra, whatever its filters, window,
    rate or pre-emphasis (garbage, silently); now one differing setting is a FrontEndMismatchError naming
    it, the model's value and Sphinx's, and the fix. The Sphinx front end itself (either normalisation)
    still decodes it."""
    mfc = tmp_path / "digits.mfc"
    mfc.write_bytes(np.array([13 * 50], "<i4").tobytes() + np.random.rand(50, 13).astype("<f4").tobytes())
    for normalize in ("utterance", "causal"):
        assert tuple(tiny(normalize=normalize).file_features(mfc).shape) == (50, 13)
    feats = replace(FeatureConfig(), **{setting: value})
    size = feats.size
    net = CTCModel(CTCModelConfig(size, ENGLISH.size, hidden=8, layers=1, conv_channels=8))
    rec = Recognizer(net, ENGLISH, feats, np.zeros(size, np.float32), np.ones(size, np.float32))
    with pytest.raises(FrontEndMismatchError) as err:
        rec.file_features(mfc)
    sphinx = getattr(FeatureConfig(), setting)
    assert f"{setting}={value!r} (the Sphinx front end's: {sphinx!r})" in str(err.value)
    assert str(err.value).endswith("give the recording's audio") and "\n" not in str(err.value)


def test_a_corpus_of_feature_files_needs_the_sphinx_front_end_too(tmp_path) -> None:
    """Training or evaluating on a corpus holding .mfc files with another MFCC front end mixed features
    computed two ways, silently; the dataset now refuses it when it is made, before any work."""
    from carrousel.speech.data import SpeechDataset, Utterance
    from carrousel.speech.features import FeatureExtractor

    mfc = tmp_path / "one.mfc"
    mfc.write_bytes(np.array([13 * 50], "<i4").tobytes() + np.random.rand(50, 13).astype("<f4").tobytes())
    corpus = [Utterance(str(tmp_path / "a.wav"), "one", 1.0), Utterance(str(mfc), "one", 0.5)]
    sphinx = SpeechDataset(corpus, FeatureExtractor(FeatureConfig()), ENGLISH)
    assert tuple(sphinx[1][0].shape) == (50, 13)
    with pytest.raises(FrontEndMismatchError, match=r"one\.mfc .* n_mels=40 \(the Sphinx front end's: 20\)"):
        SpeechDataset(corpus, FeatureExtractor(replace(FeatureConfig(), n_mels=40)), ENGLISH)


def test_a_feature_file_of_another_front_end_is_refused_by_its_spread(tmp_path) -> None:
    """A .mfc file does not record its front end: one of Sphinx's wideband models (40 filters, 133-6855 Hz,
    orthonormal DCT, lifter 22) was decoded by the TIDIGITS front end's model as garbage, silently (the
    shipped model read goforward.mfc, "go forward ten meters", as "s n", exit 0). Its cepstra are about
    ten times wider than TIDIGITS' (median std of c1-c12: 12.9 against 0.89-1.42), and are refused."""
    from carrousel.core.errors import DataError
    from carrousel.speech.samples import _path

    rng = np.random.default_rng(0)
    tidigits_like, wide = tmp_path / "digits.mfc", tmp_path / "wide.mfc"
    for path, scale in ((tidigits_like, 1.4), (wide, 13.0)):
        ceps = (rng.standard_normal((60, 13)) * scale).astype("<f4")
        path.write_bytes(np.array([ceps.size], "<i4").tobytes() + ceps.tobytes())
    assert tuple(tiny().file_features(tidigits_like).shape) == (60, 13)
    with pytest.raises(FrontEndMismatchError) as err:
        tiny().file_features(wide)
    said = str(err.value)
    assert said.startswith(f"{wide} holds cepstra 1") and "20 mel filters, 1-4000 Hz" in said
    assert said.endswith("give the recording's audio") and "\n" not in said
    try:
        goforward = _path("speech.goforward.mfc")  # the real wideband file, when `make data` cached it
    except DataError:
        return
    with pytest.raises(FrontEndMismatchError, match=r"holds cepstra 12\.9 wide"):
        tiny().file_features(goforward)


@pytest.mark.parametrize(
    ("written", "fix"),
    [
        ("99.0", "upgrade carrousel (pip install -U carrousel-core carrousel-speech)"),
        (None, "; train it again"),
    ],
)
def test_assets_a_newer_carrousel_wrote_say_to_upgrade_not_to_train_again(
    tmp_path: Path, written: str | None, fix: str
) -> None:
    """A feature setting this version lacks, in a bundle a newer carrousel wrote, said "train it again"
    (retraining with this version cannot help); core's fix_or_upgrade now names the upgrade."""
    folder = tmp_path / "model"
    shutil.copytree(rec_mod.shipped_model_path(), folder)
    doc = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    doc["assets"]["features"]["a_setting_of_the_future"] = 1
    doc["carrousel_version"] = written or doc["carrousel_version"]
    (folder / "bundle.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SpeechConfigError, match="lacks valid speech assets") as info:
        Recognizer.from_pretrained(folder)
    assert str(info.value).endswith(fix), info.value

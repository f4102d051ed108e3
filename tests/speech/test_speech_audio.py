"""Reading recordings: formats, rates, channels, and one clear error for every bad file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.audio import audio_info, iter_chunks, read_audio, read_sphinx_mfc, speech_bounds
from carrousel.speech.errors import (
    AudioError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    SilentAudioError,
)


def test_mono_16k_roundtrip(write_wav, tone) -> None:
    x = tone(1.0)
    y = read_audio(write_wav("a.wav", x), 16000)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.abs(y - x).max() < 1e-3  # 16-bit quantisation


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_any_rate_is_resampled(write_wav, tone, rate: int) -> None:
    path = write_wav(f"r{rate}.wav", tone(0.5, rate), rate)
    y = read_audio(path, 16000)
    assert abs(len(y) - 8000) <= 1
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * 16000 / len(y) - 220.0) < 5  # the tone survives resampling


def test_stereo_is_downmixed(write_wav, tone) -> None:
    st = tone(0.5, channels=2)
    y = read_audio(write_wav("st.wav", st), 16000)
    assert y.ndim == 1
    assert np.allclose(y, st.mean(axis=1), atol=1e-3)


def test_channels_that_cancel_are_not_read_as_silence(
    write_wav, tone, caplog: pytest.LogCaptureFixture
) -> None:
    """A stereo recording with one channel phase-inverted (a miswired balanced microphone) averages to
    near silence: the loudest channel is read instead, with a warning, whole or chunk by chunk, and the
    file is neither refused as silent nor transcribed from its cancelled remainder."""
    x = tone(1.0)
    inverted = np.stack([x, -0.98 * x], axis=1)  # -34 dB left after averaging
    path = write_wav("inverted.wav", inverted)
    with caplog.at_level("WARNING", logger="carrousel.speech.audio"):
        y = read_audio(path, 16000)
    assert np.allclose(y, x, atol=1e-3)
    assert "cancel" in caplog.text and "channel 1" in caplog.text
    chunks = [c for _, c in iter_chunks(path, 16000, chunk_seconds=0.25)]
    assert np.allclose(np.concatenate(chunks), x, atol=1e-3)
    cancelled = write_wav("cancelled.wav", np.stack([x, -x], axis=1))  # exactly: the mix is digital silence
    assert np.allclose(read_audio(cancelled, 16000), x, atol=1e-3)
    one_side = np.stack([x, np.zeros_like(x)], axis=1)  # a silent channel is not cancellation: averaged
    assert np.allclose(read_audio(write_wav("one.wav", one_side), 16000), x / 2, atol=1e-3)


@pytest.mark.parametrize(("fmt", "suffix"), [("FLAC", ".flac"), ("OGG", ".ogg")])
def test_flac_and_ogg(tmp_path, tone, fmt: str, suffix: str) -> None:
    path = tmp_path / f"x{suffix}"
    sf.write(str(path), tone(0.5, 44100), 44100, format=fmt)
    assert abs(len(read_audio(path, 16000)) - 8000) <= 2


def test_raw_is_16k_pcm(tmp_path, tone) -> None:
    path = tmp_path / "x.raw"
    path.write_bytes((tone(0.5) * 32767).astype("<i2").tobytes())
    info = audio_info(path)
    assert (info.sample_rate, info.channels, info.frames) == (16000, 1, 8000)
    assert len(read_audio(path, 8000)) == 4000


def test_gsm_is_8k_gsm610(tmp_path, tone) -> None:
    """Headerless ``.gsm`` (Asterisk's prompts): GSM 6.10 at 8 kHz; soundfile alone cannot tell the format."""
    path = tmp_path / "x.gsm"
    sf.write(str(path), tone(0.5, 8000), 8000, format="RAW", subtype="GSM610")
    info = audio_info(path)
    assert (info.sample_rate, info.channels, info.format) == (8000, 1, "RAW")
    assert abs(info.frames - 4000) <= 160  # whole 20 ms GSM frames
    y = read_audio(path, 16000)
    assert abs(len(y) - 8000) <= 320
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * 16000 / len(y) - 220.0) < 5  # the tone survives the codec
    assert sum(len(c) for _, c in iter_chunks(path, 16000, 0.2)) == len(y)


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="empty"):
        read_audio(path)


def test_header_without_frames(write_wav) -> None:
    path = write_wav("none.wav", np.zeros(0, np.float32))
    with pytest.raises(EmptyAudioError, match="no audio samples"):
        read_audio(path)


def test_corrupt_file(tmp_path) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 20)
    with pytest.raises(CorruptAudioError, match="not readable audio") as err:
        read_audio(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_text_file_is_not_audio(tmp_path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("hello, this is not audio\n" * 50)
    with pytest.raises(CorruptAudioError):
        audio_info(path)


def test_a_dash_says_standard_input_is_not_read(tmp_path, monkeypatch) -> None:
    """``sox in.flac -t wav - | speech transcribe -``: the nlp CLIs read ``-`` as standard input, speech
    said "-: no such file; check the path"; now it names standard input and the fix."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AudioError, match=r"^- \(standard input\): .*save the audio to a file first$"):
        audio_info("-")


def test_missing_file_and_folder(tmp_path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        read_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="folder"):
        read_audio(tmp_path)


def test_silent_file(write_wav) -> None:
    path = write_wav("silence.wav", np.zeros(16000, np.float32))
    with pytest.raises(SilentAudioError, match="silent"):
        read_audio(path)
    assert read_audio(path, allow_silent=True).shape == (16000,)
    quiet = write_wav(
        "dc.wav", np.full(16000, 0.3, np.float32) + 1e-5 * np.random.randn(16000).astype(np.float32)
    )
    with pytest.raises(SilentAudioError, match=r"constant level.*DC offset of \+0\.3"):  # no speech either,
        read_audio(quiet)  # and the message does not claim a -10 dBFS level peaks below -60 dBFS


def test_nan_samples(write_wav) -> None:
    x = np.zeros(1600, np.float32) + 0.1
    x[100] = np.nan
    with pytest.raises(CorruptAudioError, match="NaN"):
        read_audio(write_wav("nan.wav", x, subtype="FLOAT"))


def test_too_long(write_wav, tone) -> None:
    path = write_wav("long.wav", tone(2.0))
    with pytest.raises(AudioTooLongError, match=r"\(max_seconds\)$"):  # a Python caller's name for it
        read_audio(path, max_seconds=1.0)


def test_chunks_cover_the_file_with_overlap(write_wav, tone) -> None:
    x = tone(10.0, 8000)
    path = write_wav("long.wav", x, 8000)
    chunks = list(iter_chunks(path, 16000, chunk_seconds=3.0, overlap_seconds=0.5))
    assert [s for s, _ in chunks] == [0, 40000, 88000, 136000]
    assert max(len(c) for _, c in chunks) <= (3.0 + 2 * 0.5) * 16000 + 2  # bounded by the chunk
    assert sum(len(c) for _, c in chunks) >= 10 * 16000


def test_sphinx_mfc_either_byte_order(tmp_path) -> None:
    ceps = np.arange(26, dtype=np.float32).reshape(2, 13)
    for order in ("<", ">"):
        path = tmp_path / f"x{order == '<'}.mfc"
        path.write_bytes(np.array([26], f"{order}i4").tobytes() + ceps.astype(f"{order}f4").tobytes())
        assert np.array_equal(read_sphinx_mfc(path), ceps)
    bad = tmp_path / "bad.mfc"
    bad.write_bytes(b"\x00" * 30)
    with pytest.raises(CorruptAudioError):
        read_sphinx_mfc(bad)


def test_speech_bounds_trim_silence_but_never_noise(tone) -> None:
    x = np.concatenate([np.zeros(16000, np.float32), tone(0.5), np.zeros(24000, np.float32)])
    start, end = speech_bounds(x, 16000, margin=0.1)
    assert abs(start - 14400) <= 160 and abs(end - 25600) <= 160
    noisy = x + 0.05 * np.random.default_rng(0).standard_normal(len(x)).astype(np.float32)
    assert speech_bounds(noisy, 16000) == (0, len(x))


def test_a_file_name_not_valid_in_the_locale_is_read(write_wav, tone, tmp_path) -> None:
    """A name whose bytes the locale cannot decode (a Latin-1 'é' under UTF-8, or 'é' itself under an ASCII
    locale) reaches Python as surrogate escapes; soundfile encoded such a str strictly, so on main
    'speech transcribe é.wav' under LC_ALL=C ended in 'input is not valid text (UnicodeEncodeError...)'.
    The path is now given to soundfile as its own bytes (os.fsencode)."""
    import os

    x = tone(0.5)
    path = tmp_path / os.fsdecode(b"caf\xe9.wav")  # '\udce9' in a UTF-8 locale
    os.replace(write_wav("plain.wav", x), path)
    assert audio_info(path).seconds == pytest.approx(0.5, abs=0.01)
    assert read_audio(path, 16000).shape == x.shape
    assert sum(len(c) for _, c in iter_chunks(path, 16000, chunk_seconds=0.2)) >= len(x)


def test_a_stat_out_of_memory_is_not_blamed_on_the_file(write_wav, tone, monkeypatch) -> None:
    """The file check's stat failing with ENOMEM (the kernel out of memory): on main AudioError
    '...: cannot be read (Cannot allocate memory); check the path'; now the OSError as it came, which the
    CLI names as out of memory. Any other failure (EACCES) keeps its line naming the file."""
    path = write_wav("a.wav", tone(0.5))
    real_stat = Path.stat
    code = [errno.ENOMEM]

    def failing_stat(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        if self == path:
            raise OSError(code[0], os.strerror(code[0]), os.fspath(path))
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", failing_stat)
    with pytest.raises(OSError) as info:
        read_audio(path)
    assert not isinstance(info.value, AudioError) and info.value.errno == errno.ENOMEM
    code[0] = errno.EACCES
    with pytest.raises(AudioError) as refused:
        read_audio(path)
    assert str(refused.value) == f"{path}: cannot be read ({os.strerror(errno.EACCES)}); check the path"

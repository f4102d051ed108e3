"""Kaldi/ESPnet data directories, LJSpeech, VCTK and TIMIT roots read as --data (corpora.py).

Before: a Kaldi directory, an LJSpeech, VCTK or 0.80 TIMIT root was "no transcribed recordings found"
(LJSpeech's headerless metadata.csv went to the audiofolder reader), and a lower-case TIMIT copy was read as
a folder of audio with .txt transcripts, ``0 46797 she had ...`` spoken as "zero forty six thousand ...".
Each corpus is written here as its release lays it out, with synthetic tones; TIMIT's NIST SPHERE files
get a 1024-byte ``NIST_1A`` header written here (libsndfile reads them).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from carrousel.speech.audio import audio_info, iter_chunks, read_audio, segment_path
from carrousel.speech.cli import main
from carrousel.speech.corpora import corpus_kind
from carrousel.speech.data import load_corpus, read_folder, with_durations
from carrousel.speech.errors import AudioError, CorpusError


def _rows(spec: str) -> list[tuple[str, str, str]]:
    return [(u.path, u.text, u.speaker) for u in load_corpus(spec)]


@pytest.fixture
def kaldi(tmp_path, tone, monkeypatch):  # type: ignore[no-untyped-def]
    """A recipe root (the current directory) with ``wav/`` and ``data/test`` holding segments."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wav").mkdir()
    sf.write("wav/A.wav", tone(2.0, 16000, 200.0), 16000, subtype="PCM_16")
    sf.write("wav/B.flac", tone(1.0, 16000, 300.0), 16000)
    data = tmp_path / "data" / "test"
    data.mkdir(parents=True)
    (data / "wav.scp").write_text("A wav/A.wav\nB wav/B.flac\n")
    (data / "segments").write_text("A-1 A 0.25 1.0\nA-2 A 1.0 -1\nB-1 B 0.1 0.6\n")
    (data / "text").write_text("A-1 yes [noise] go\nA-2 <unk> stop now\nB-1 Left!\nZ-9 not recorded\n")
    (data / "utt2spk").write_text("A-1 spk1\nA-2 spk1\nB-1 spk2\nZ-9 spk3\n")
    return data


def test_kaldi_segments_are_parts_of_their_recordings(kaldi, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="carrousel"):  # an earlier test may leave it at ERROR
        utts = with_durations(load_corpus("data/test"))
    a, b = "wav/A.wav", "wav/B.flac"  # relative paths read from the current directory, as written
    assert [(u.path, u.text, u.speaker) for u in utts] == [
        (segment_path(a, 0.25, 1.0), "yes go", "spk1"),  # [noise] and <unk> dropped
        (segment_path(a, 1.0, None), "stop now", "spk1"),
        (segment_path(b, 0.1, 0.6), "left", "spk2"),
    ]
    assert [u.seconds for u in utts] == [pytest.approx(0.75), pytest.approx(1.0), pytest.approx(0.5)]
    assert "1 of 4 utterances of text are not in segments" in caplog.text
    whole = read_audio(a, 16000)
    assert np.array_equal(read_audio(utts[0].path, 16000), whole[4000:16000])  # [0.25, 1.0) s
    assert np.array_equal(read_audio(utts[1].path, 16000), whole[16000:])  # -1: to the end
    assert audio_info(utts[2].path).frames == 8000
    chunks = np.concatenate([x for _, x in iter_chunks(utts[1].path, 16000, 0.3)])  # a long segment
    assert np.array_equal(chunks, whole[16000:])
    assert _rows(f"kaldi:{kaldi}") == [(u.path, u.text, u.speaker) for u in utts]  # forced, absolute dir


def test_kaldi_without_segments_relative_to_the_data_dir(kaldi, tmp_path, monkeypatch) -> None:
    (kaldi / "segments").unlink()
    (kaldi / "wav.scp").write_text("A ../../wav/A.wav\n")  # not there from the recipe root: the data dir's
    (kaldi / "text").write_text("A Go left\n")
    (kaldi / "utt2spk").unlink()
    assert _rows(str(kaldi)) == [(str(kaldi / "../../wav/A.wav"), "go left", "")]
    monkeypatch.chdir(kaldi)  # now the current directory's
    assert _rows(".") == [("../../wav/A.wav", "go left", "")]


def test_kaldi_commands_archives_and_missing_files_are_one_line(kaldi) -> None:
    (kaldi / "wav.scp").write_text("A sph2pipe -f wav -p -c 1 /corpus/A.sph |\nB raw.ark:1234\nC wav/A.wav\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(str(kaldi))
    message = str(err.value)
    assert "2 of 3 recordings are commands or archive offsets" in message and "sph2pipe -f wav -p" in message
    assert "write the audio to files" in message and "\n" not in message
    (kaldi / "wav.scp").write_text("A wav/A.wav\nB wav/gone.wav\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(str(kaldi))
    message = str(err.value)
    assert "1 of 2 recordings are not found" in message and "\n" not in message
    assert str(Path.cwd() / "wav/gone.wav") in message and str(kaldi / "wav/gone.wav") in message
    (kaldi / "wav.scp").write_text("A wav/A.wav\nB wav/B.flac\n")
    (kaldi / "segments").write_text("A-1 A 1.0 0.5\n")
    with pytest.raises(
        CorpusError,
        match=r"segments: line 1: segment end 0.5 s is not after its start 1 s: fix the segment times$",
    ):
        load_corpus(str(kaldi))


def test_ljspeech_reads_the_normalized_column(tmp_path, write_wav, tone) -> None:
    root = tmp_path / "LJSpeech-1.1"
    (root / "wavs").mkdir(parents=True)
    for name in ("LJ001-0001", "LJ001-0002"):
        sf.write(str(root / "wavs" / f"{name}.wav"), tone(0.5), 22050)
    (root / "metadata.csv").write_text(
        'LJ001-0001|Printing, in "the" only sense, 1st|Printing, in "the" only sense, first\n'
        "LJ001-0002|in being comparatively modern.\n",
        encoding="utf-8",
    )
    expected = [
        (str(root / "wavs/LJ001-0001.wav"), "printing in the only sense first", "LJSpeech-1.1"),
        (str(root / "wavs/LJ001-0002.wav"), "in being comparatively modern", "LJSpeech-1.1"),
    ]
    assert _rows(str(root)) == expected
    assert _rows(f"ljspeech:{root}") == expected
    (root / "wavs/LJ001-0002.wav").unlink()
    with pytest.raises(CorpusError, match=r"1 of 2 recordings are not in wavs/ \(the first: .*LJ001-0002"):
        load_corpus(str(root))


def test_audiofolders_and_folders_are_not_taken_for_a_corpus(tmp_path, write_wav, tone) -> None:
    (tmp_path / "wavs").mkdir()
    write_wav("wavs/a.wav", tone(0.5))
    (tmp_path / "metadata.csv").write_text("file_name,transcription\nwavs/a.wav,yes\n")
    assert corpus_kind(tmp_path) is None  # an audiofolder: its metadata.csv has a header
    (tmp_path / "metadata.csv").unlink()
    (tmp_path / "wavs/a.txt").write_text("Yes")
    (tmp_path / "txt").mkdir()  # a folder named txt alone is no VCTK
    assert corpus_kind(tmp_path) is None
    assert _rows(str(tmp_path)) == [(str(tmp_path / "wavs/a.wav"), "yes", "")]


def test_vctk_092_and_080(tmp_path, tone, caplog) -> None:
    root = tmp_path / "VCTK-Corpus-0.92"
    for spk, utt in (("p225", "001"), ("p225", "002"), ("p315", "001")):
        (root / "wav48_silence_trimmed" / spk).mkdir(parents=True, exist_ok=True)
        for mic in ("mic1", "mic2"):
            sf.write(str(root / "wav48_silence_trimmed" / spk / f"{spk}_{utt}_{mic}.flac"), tone(0.4), 48000)
        if spk != "p315":  # 0.92 has no transcripts for p315
            (root / "txt" / spk).mkdir(parents=True, exist_ok=True)
            (root / "txt" / spk / f"{spk}_{utt}.txt").write_text(f"Please call Stella {int(utt)}.\n")
    audio = root / "wav48_silence_trimmed" / "p225"
    with caplog.at_level(logging.WARNING, logger="carrousel"):  # an earlier test may leave it at ERROR
        assert _rows(str(root)) == [
            (str(audio / "p225_001_mic1.flac"), "please call stella one", "p225"),
            (str(audio / "p225_002_mic1.flac"), "please call stella two", "p225"),
        ]
    assert "1 recordings have no transcript in txt/" in caplog.text
    assert [u.path for u in load_corpus(f"vctk:{root}#mic2")] == [
        str(audio / "p225_001_mic2.flac"),
        str(audio / "p225_002_mic2.flac"),
    ]
    with pytest.raises(CorpusError, match=r"#mic1 and #mic2"):
        load_corpus(f"{root}#mic3")
    old = tmp_path / "VCTK-Corpus"
    (old / "wav48" / "p226").mkdir(parents=True)
    (old / "txt" / "p226").mkdir(parents=True)
    sf.write(str(old / "wav48/p226/p226_001.wav"), tone(0.4), 48000)
    (old / "txt/p226/p226_001.txt").write_text("Ask her.\n")
    assert _rows(str(old)) == [(str(old / "wav48/p226/p226_001.wav"), "ask her", "p226")]
    with pytest.raises(CorpusError, match=r"0.80 \(wav48/\) has one microphone"):
        load_corpus(f"{old}#mic2")


def _sphere(path: Path, samples: np.ndarray, coding: str = "pcm") -> None:
    """A NIST SPHERE file as TIMIT ships it: a 1024-byte ``NIST_1A`` header, then 16-bit PCM."""
    header = (
        f"NIST_1A\n   1024\ndatabase_id -s5 TIMIT\nsample_count -i {len(samples)}\nsample_rate -i 16000\n"
        f"channel_count -i 1\nsample_n_bytes -i 2\nsample_byte_format -s2 01\n"
        f"sample_coding -s{len(coding)} {coding}\nend_head\n"
    )
    path.write_bytes(header.encode().ljust(1024, b" ") + samples.astype("<i2").tobytes())


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_timit_reads_sphere_and_the_words_after_the_sample_numbers(tmp_path, tone, case) -> None:
    root = tmp_path / "TIMIT"
    pcm = np.round(tone(0.5) * 32767).astype(np.int16)
    for split, region, spk, utt, words in (
        ("train", "dr1", "fcjf0", "sa1", "She had your dark suit in greasy wash water all year."),
        ("train", "dr1", "fcjf0", "si1027", "Even then, if she took one step forward he could catch her."),
        ("test", "dr2", "mabc0", "sx1", "Don't ask me to carry an oily rag like that."),
    ):
        folder = root / case(split) / case(region) / case(spk)
        folder.mkdir(parents=True, exist_ok=True)
        _sphere(folder / case(f"{utt}.wav"), pcm)
        (folder / case(f"{utt}.txt")).write_text(f"0 {len(pcm)} {words}\n")
    train = [(u.path, u.text, u.speaker) for u in with_durations(load_corpus(f"{root}#train"))]
    spk = case("fcjf0")
    assert train == [
        (
            str(root / case("train/dr1/fcjf0/sa1.wav")),
            "she had your dark suit in greasy wash water all year",
            spk,
        ),
        (
            str(root / case("train/dr1/fcjf0/si1027.wav")),
            "even then if she took one step forward he could catch her",
            spk,
        ),
    ]
    assert np.array_equal(read_audio(train[0][0], 16000), pcm.astype(np.float32) / 32768)  # SPHERE read
    assert _rows(f"timit:{tmp_path}#TEST") == [  # the folder holding TIMIT/, the split in capitals
        (
            str(root / case("test/dr2/mabc0/sx1.wav")),
            "don't ask me to carry an oily rag like that",
            case("mabc0"),
        )
    ]
    assert len(load_corpus(str(root))) == 3 and len(load_corpus(str(root / case("train")))) == 2
    with pytest.raises(CorpusError, match=r"TIMIT's splits are #train and #test"):
        load_corpus(f"{root}#dev")
    if case is str.lower:  # before: read as a folder of audio with .txt transcripts
        assert read_folder(root)[0].text.startswith("zero")


def test_a_shorten_compressed_timit_names_sph2pipe(tmp_path, tone) -> None:
    folder = tmp_path / "TIMIT/TRAIN/DR1/FCJF0"
    folder.mkdir(parents=True)
    _sphere(folder / "SA1.WAV", np.zeros(4000, np.int16), coding="pcm,embedded-shorten-v2.00")
    (folder / "SA1.TXT").write_text("0 4000 She had your dark suit.\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(str(tmp_path / "TIMIT"))
    message = str(err.value)
    assert "shorten-compressed NIST SPHERE" in message and "sph2pipe -f wav SA1.WAV SA1.wav" in message
    assert "\n" not in message


def test_speech_evaluate_reads_a_kaldi_data_dir(kaldi, capsys, monkeypatch) -> None:
    """End to end with the shipped model: the three segments are evaluated (no accuracy claim)."""
    monkeypatch.setattr(
        sys, "argv", ["speech", "evaluate", "--data", "data/test", "--json", "--threads", "1"]
    )
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    result = json.loads(out)
    assert result["utterances"] == 3 and result["totals"]["words"] == 5
    assert [u["reference"] for u in result["per_utterance"]] == ["yes go", "stop now", "left"]


def test_speech_transcribe_reads_a_part_of_a_file(kaldi, capsys, monkeypatch) -> None:
    """A segment name works wherever a recording path does: ``speech transcribe`` reads its 0.75 s."""
    part = segment_path("wav/A.wav", 0.25, 1.0)
    monkeypatch.setattr(sys, "argv", ["speech", "transcribe", part, "--json", "--threads", "1"])
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    [doc] = json.loads(out)["transcripts"]
    assert doc["path"] == part and doc["seconds"] == pytest.approx(0.75)
    monkeypatch.setattr(sys, "argv", ["speech", "transcribe", segment_path("wav/A.wav", 3.0, 4.0)])
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code == 1 and "no samples from 3 s to 4 s (wav/A.wav: 2.00 s)" in err


def test_speech_transcribe_refuses_a_part_ending_past_the_file(kaldi, capsys, monkeypatch) -> None:
    """Before, ``wav/A.wav#0.5-9`` (A.wav is 2 s) was clipped without a word to 1.5 s, where a corpus listing
    that part refuses it: now one line naming the file's length and the fix, exit 1, nothing on stdout; an end
    within rounding of the file's (10 ms) is still read to the end."""
    monkeypatch.setattr(sys, "argv", ["speech", "transcribe", segment_path("wav/A.wav", 0.5, 9.0), "--json"])
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code == 1 and out == ""
    assert err.strip().splitlines() == [
        "error: wav/A.wav#0.5-9.0: the part ends at 9 s, past the end of A.wav (2.00 s); give an end of at most "
        "2.00 s, or wav/A.wav#0.5- to read to its end"
    ]
    assert audio_info(segment_path("wav/A.wav", 0.5, 2.005)).seconds == pytest.approx(1.5)
    with pytest.raises(AudioError, match=r"past the end of A\.wav"):
        read_audio(segment_path("wav/A.wav", 0.5, 2.5))

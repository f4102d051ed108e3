"""Corpora: manifests, folders, LibriSpeech and Speech Commands layouts, errors."""

from __future__ import annotations

import contextlib
import json

import pytest

from carrousel.core.option_names import flags_named
from carrousel.speech.data import load_corpus, trainable, with_durations
from carrousel.speech.errors import CorpusError
from carrousel.speech.text import ENGLISH


@pytest.fixture
def two_wavs(tmp_path, write_wav, tone):  # type: ignore[no-untyped-def]
    (tmp_path / "audio").mkdir()
    write_wav("audio/a.wav", tone(1.0))
    write_wav("audio/b.wav", tone(0.5, 8000), 8000)
    return tmp_path


def test_tsv_manifest_relative_paths(two_wavs) -> None:
    m = two_wavs / "m.tsv"
    m.write_text("path\ttranscript\naudio/a.wav\tGo Left!\naudio/b.wav\tcall 42\n", encoding="utf-8")
    utts = with_durations(load_corpus(str(m)))
    assert [u.text for u in utts] == ["go left", "call forty two"]
    assert utts[0].path == str(two_wavs / "audio/a.wav") and utts[1].seconds == pytest.approx(0.5)


def test_jsonl_manifest(two_wavs) -> None:
    m = two_wavs / "m.jsonl"
    rows = [
        {"audio_filepath": "audio/a.wav", "text": "yes", "duration": 1.0},
        {"path": "audio/b.wav", "transcript": "no"},
    ]
    m.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    utts = load_corpus(f"manifest:{m}")
    assert [(u.text, u.seconds) for u in utts] == [("yes", 1.0), ("no", 0.5)]  # the header's length


def test_manifest_errors(tmp_path) -> None:
    m = tmp_path / "m.tsv"
    m.write_text("file,text\na.wav,yes\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="header"):
        load_corpus(str(m))
    j = tmp_path / "m.jsonl"
    j.write_text('{"path": "a.wav"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="line 1"):
        load_corpus(str(j))
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus(str(tmp_path / "missing.tsv"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no transcribed recordings"):
        load_corpus(str(tmp_path / "empty"))


def test_folder_of_audio_and_txt(two_wavs) -> None:
    (two_wavs / "audio/a.txt").write_text("STOP\n", encoding="utf-8")
    utts = load_corpus(str(two_wavs / "audio"))  # b.wav has no transcript: skipped
    assert [u.text for u in utts] == ["stop"]


def test_folder_reads_headerless_gsm(tmp_path, tone) -> None:
    """A folder of Asterisk-style ``.gsm`` prompts (headerless GSM 6.10, 8 kHz) is a corpus."""
    import soundfile as sf

    sf.write(str(tmp_path / "7.gsm"), tone(0.5, 8000), 8000, format="RAW", subtype="GSM610")
    (tmp_path / "7.txt").write_text("seven\n", encoding="utf-8")
    utts = with_durations(load_corpus(f"folder:{tmp_path}"))
    assert [(u.path, u.text) for u in utts] == [(str(tmp_path / "7.gsm"), "seven")]
    assert utts[0].seconds == pytest.approx(0.5, abs=0.02)  # read as 8 kHz GSM 6.10, whole 20 ms frames


def test_librispeech_layout(tmp_path, write_wav, tone) -> None:
    chapter = tmp_path / "test-clean/61/70968"
    chapter.mkdir(parents=True)
    import soundfile as sf

    sf.write(str(chapter / "61-70968-0000.flac"), tone(0.5), 16000)
    (chapter / "61-70968.trans.txt").write_text("61-70968-0000 HE BEGAN A CONFUSED COMPLAINT\n")
    utts = load_corpus(str(tmp_path))
    assert len(utts) == 1 and utts[0].text == "he began a confused complaint" and utts[0].speaker == "61"


def test_speech_commands_layout_and_splits(tmp_path, write_wav, tone) -> None:
    for word, name in [("yes", "a1_nohash_0.wav"), ("yes", "b2_nohash_0.wav"), ("no", "c3_nohash_1.wav")]:
        (tmp_path / word).mkdir(exist_ok=True)
        write_wav(f"{word}/{name}", tone(0.3))
    (tmp_path / "_background_noise_").mkdir()
    write_wav("_background_noise_/noise.wav", tone(0.3))
    (tmp_path / "testing_list.txt").write_text("yes/b2_nohash_0.wav\n")
    (tmp_path / "validation_list.txt").write_text("no/c3_nohash_1.wav\n")
    assert sorted(u.text for u in load_corpus(str(tmp_path))) == ["no", "yes", "yes"]
    assert [u.path.endswith("b2_nohash_0.wav") for u in load_corpus(f"{tmp_path}#test")] == [True]
    assert [u.text for u in load_corpus(f"speechcommands:{tmp_path}#train")] == ["yes"]
    with pytest.raises(CorpusError, match="split"):
        load_corpus(f"speechcommands:{tmp_path}#dev")


def test_unknown_sample_group() -> None:
    with pytest.raises(CorpusError, match="sample group"):
        load_corpus("sample:nothing")


def test_trainable_drops_what_ctc_cannot_learn(two_wavs) -> None:
    m = two_wavs / "m.tsv"
    long_text = "one two three four five six seven eight nine ten eleven twelve thirteen"
    m.write_text(
        f"path\ttranscript\naudio/a.wav\tyes\naudio/b.wav\t{long_text}\naudio/a.wav\téèê\n", encoding="utf-8"
    )
    utts = with_durations(load_corpus(str(m)))
    kept, dropped = trainable(utts, ENGLISH, frame_seconds=0.02, max_seconds=30)
    assert [u.text for u in kept] == ["yes"]
    assert dropped == {"too_long": 0, "too_short_for_transcript": 1, "no_known_characters": 1}


@pytest.mark.parametrize("bad", ["about 2", "nan", "-1", "inf"])
def test_manifest_seconds_not_a_number_is_a_corpus_error(two_wavs, bad) -> None:
    m = two_wavs / "m.tsv"
    m.write_text(f"path\ttranscript\tseconds\naudio/a.wav\tyes\t{bad}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="line 2: seconds"):
        load_corpus(str(m))
    j = two_wavs / "m.jsonl"
    j.write_text(json.dumps({"path": "audio/a.wav", "text": "yes", "duration": bad}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="line 1: seconds"):
        load_corpus(str(j))


def test_manifest_empty_seconds_is_the_headers(two_wavs) -> None:
    m = two_wavs / "m.tsv"
    m.write_text("path\ttranscript\tseconds\naudio/a.wav\tyes\t\naudio/b.wav\tno\t0.25\n", encoding="utf-8")
    # the header's length: b.wav holds 0.5 s, and 0.25 is a wrong manifest (warned: test_speech_manifest_durations)
    assert [u.seconds for u in load_corpus(str(m))] == [1.0, 0.5]


def test_untranscribed_rows_are_left_out_with_a_warning(two_wavs, caplog) -> None:
    m = two_wavs / "m.tsv"
    # a transcript without letter or digit; an empty one marks a recording without speech (kept)
    m.write_text("path\ttranscript\naudio/a.wav\t?!\naudio/b.wav\tno\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="carrousel.speech.data"):
        utts = load_corpus(str(m))
    assert [u.text for u in utts] == ["no"]
    assert "1 of 2 recordings have no transcript" in caplog.text


def test_a_recording_given_as_the_corpus_is_named_as_such(two_wavs) -> None:
    """Before: ``--data a.wav`` said "holds NUL bytes: it is a binary file, not manifest text"."""
    with pytest.raises(CorpusError, match=r"a\.wav' is a recording, not a corpus: give a manifest") as info:
        load_corpus(str(two_wavs / "audio" / "a.wav"))
    assert "speech transcribe" in str(info.value)


@pytest.mark.parametrize("flags", [False, True])
def test_left_out_rows_and_no_transcripts_name_the_corpus_as_set(two_wavs, caplog, flags: bool) -> None:
    """The warning and the error name the corpus as the caller gave it: ``data='m.tsv'`` to a Python caller,
    ``--data m.tsv`` inside a command."""
    m = two_wavs / "m.tsv"
    m.write_text("path\ttranscript\naudio/a.wav\t?!\naudio/b.wav\tno\n", encoding="utf-8")
    named = f"--data {m}" if flags else f"data='{m}'"
    with caplog.at_level("WARNING", logger="carrousel"), flags_named() if flags else contextlib.nullcontext():
        load_corpus(str(m))
    assert f"{named}: 1 of 2 recordings have no transcript" in caplog.text
    m.write_text("path\ttranscript\naudio/a.wav\t?!\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info, flags_named() if flags else contextlib.nullcontext():
        load_corpus(str(m))
    assert str(info.value) == (  # before: "no transcribed recordings found; give a manifest", to a manifest
        f"{named}: none of its 1 rows has a transcript (a letter or digit); give a row per recording, with its "
        "path and what it says"
    )
    m.write_text("path\ttranscript\n", encoding="utf-8")  # a header alone
    with pytest.raises(CorpusError) as info, flags_named() if flags else contextlib.nullcontext():
        load_corpus(str(m))
    assert (
        str(info.value) == f"{named} holds no rows; give a row per recording, with its path and what it says"
    )

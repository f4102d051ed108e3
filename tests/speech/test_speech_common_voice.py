"""Common Voice language folders and TSVs, an audiofolder's metadata.csv as a file, and the manifest
header table (before: each was refused with "the first line must be a header 'path<TAB>transcript'").

The Common Voice tree is written here as the public releases lay it out (``cv-corpus-NN/en/clips/*.mp3``
beside ``train.tsv``, ``dev.tsv``, ``test.tsv``, ``validated.tsv``): synthetic tones as MP3 (soundfile's
libsndfile writes and reads MP3), transcripts with capitals, punctuation and a bare quote, the newer header
in ``test.tsv`` and the older one (no sentence_id, sentence_domain, variant) in ``dev.tsv``.
"""

from __future__ import annotations

import json
import sys

import pytest
import soundfile as sf

from carrousel.speech.cli import main
from carrousel.speech.data import load_corpus, with_durations
from carrousel.speech.errors import CorpusError

NEW = "client_id path sentence_id sentence sentence_domain up_votes down_votes age gender accents variant locale segment"
OLD = "client_id path sentence up_votes down_votes age gender accents locale segment"
# (client_id, clip, sentence, seconds)
CLIPS = [
    ("a1f3", "common_voice_en_101.mp3", '"Stop," she said.', 0.8),
    ("a1f3", "common_voice_en_102.mp3", '"Go left, he said.', 1.2),
    ("9bc0", "common_voice_en_103.mp3", "Call 42 now!", 1.0),
]


def _tsv(header: str, rows: list[tuple[str, str, str, float]]) -> str:
    columns = header.split()
    lines = ["\t".join(columns)]
    for client, clip, sentence, _ in rows:
        values = {
            "client_id": client,
            "path": clip,
            "sentence": sentence,
            "sentence_id": "f00d",
            "up_votes": "2",
        }
        values |= {"down_votes": "0", "locale": "en"}
        lines.append("\t".join(values.get(c, "") for c in columns))
    return "\n".join(lines) + "\n"


@pytest.fixture
def cv_root(tmp_path, tone):  # type: ignore[no-untyped-def]
    root = tmp_path / "cv-corpus-17.0-2024-03-15" / "en"
    (root / "clips").mkdir(parents=True)
    for i, (_, clip, _, seconds) in enumerate(CLIPS):
        sf.write(str(root / "clips" / clip), tone(seconds, 48000, 180.0 + 40 * i), 48000, format="MP3")
    (root / "test.tsv").write_text(_tsv(NEW, CLIPS[:2]), encoding="utf-8")
    (root / "dev.tsv").write_text(_tsv(OLD, CLIPS[2:]), encoding="utf-8")
    (root / "validated.tsv").write_text(_tsv(NEW, CLIPS), encoding="utf-8")
    (root / "reported.tsv").write_text("sentence_id\tsentence\tlocale\treason\n", encoding="utf-8")
    return root


def test_common_voice_tsv_reads_clips_transcripts_and_speakers(cv_root) -> None:
    utts = with_durations(load_corpus(str(cv_root / "test.tsv")))
    assert [u.path for u in utts] == [str(cv_root / "clips" / c[1]) for c in CLIPS[:2]]
    assert [u.text for u in utts] == ["stop she said", "go left he said"]  # the quote did not swallow a line
    assert [u.speaker for u in utts] == ["a1f3", "a1f3"]
    assert [u.seconds for u in utts] == [pytest.approx(0.8, abs=0.01), pytest.approx(1.2, abs=0.01)]  # MP3


def test_common_voice_folder_is_read_one_split_at_a_time(cv_root) -> None:
    test = load_corpus(f"{cv_root}#test")
    assert [(u.path, u.text) for u in test] == [
        (u.path, u.text) for u in load_corpus(str(cv_root / "test.tsv"))
    ]
    dev = load_corpus(f"commonvoice:{cv_root}#dev")  # the older header
    assert [(u.text, u.readings, u.speaker) for u in dev] == [
        ("call forty two now", ("call four two now",), "9bc0")
    ]
    assert len(load_corpus(f"{cv_root}#validated")) == 3
    with pytest.raises(
        CorpusError, match=r"Common Voice folder: name one split.*dev, reported, test, validated"
    ):
        load_corpus(str(cv_root))
    with pytest.raises(
        CorpusError, match=r"no train\.tsv there; choose one of dev, reported, test, validated"
    ):
        load_corpus(f"{cv_root}#train")


def test_audiofolder_metadata_csv_and_other_headers_as_files(tmp_path, write_wav, tone) -> None:
    (tmp_path / "clips").mkdir()
    write_wav("clips/a.wav", tone(0.5))
    write_wav("clips/b.wav", tone(0.7))
    meta = tmp_path / "metadata.csv"
    meta.write_text('file_name,transcription\nclips/a.wav,"Yes, go"\nclips/b.wav,stop\n', encoding="utf-8")
    assert [(u.path, u.text) for u in load_corpus(str(meta))] == [
        (str(tmp_path / "clips/a.wav"), "yes go"),
        (str(tmp_path / "clips/b.wav"), "stop"),
    ]
    tsv = tmp_path / "list.tsv"  # Kaldi-ish names, a recording found in clips/ beside the list
    tsv.write_text("wav\tnormalized_text\tspeaker_id\tduration\na.wav\tno\tS1\t0.5\n", encoding="utf-8")
    assert [(u.path, u.text, u.speaker, u.seconds) for u in load_corpus(str(tsv))] == [
        (str(tmp_path / "clips/a.wav"), "no", "S1", 0.5)
    ]
    nemo = tmp_path / "m.jsonl"
    nemo.write_text(json.dumps({"audio_filepath": "clips/b.wav", "sentence": "Go!", "client_id": "x"}) + "\n")
    assert [(u.text, u.speaker) for u in load_corpus(str(nemo))] == [("go", "x")]


def test_an_unknown_header_names_the_columns_found_and_accepted(tmp_path) -> None:
    bad = tmp_path / "m.csv"
    bad.write_text("clip,words\na.wav,yes\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_corpus(str(bad))
    message = str(err.value)
    assert "\n" not in message and "it has clip, words" in message
    assert "path | audio | audio_filepath | file_name | file | wav" in message and "sentence" in message


def test_speech_evaluate_reads_a_common_voice_split(cv_root, capsys, monkeypatch) -> None:
    """End to end with the shipped model: the split's two MP3 clips are evaluated (no accuracy claim)."""
    monkeypatch.setattr(
        sys, "argv", ["speech", "evaluate", "--data", f"{cv_root}#test", "--json", "--threads", "1"]
    )
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    result = json.loads(out)
    assert result["utterances"] == 2 and result["totals"]["words"] == 7
    assert [u["reference"] for u in result["per_utterance"]] == ["stop she said", "go left he said"]
    monkeypatch.setattr(sys, "argv", ["speech", "evaluate", "--data", str(cv_root), "--json"])
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    assert done.value.code == 1 and out == "" and err.strip().count("\n") == 0 and "#test" in err

"""`speech evaluate`'s list of utterances with errors names each one as its JSON does (the path the corpus
gives). Before, it showed the file name alone: in a Speech Commands root (`yes/0a7c2a8d_nohash_0.wav`,
`no/0a7c2a8d_nohash_0.wav`) or TIMIT (`SA1.WAV` of every speaker) several utterances read the same."""

from __future__ import annotations

import json

from tests.speech.conftest import speech


def test_the_error_list_names_the_recording_not_its_file_name(
    capsys, monkeypatch, tmp_path, write_wav, tone, model
) -> None:
    for word in ("yes", "no"):
        (tmp_path / word).mkdir()
        write_wav(f"{word}/0a7c2a8d_nohash_0.wav", tone(1.0))
    manifest = tmp_path / "m.tsv"
    manifest.write_text(
        "path\ttranscript\nyes/0a7c2a8d_nohash_0.wav\tyes\nno/0a7c2a8d_nohash_0.wav\tno\n", encoding="utf-8"
    )
    code, out, err = speech(
        capsys, monkeypatch, "evaluate", "--model", model, "--data", str(manifest), "--json"
    )
    assert code == 0, err
    paths = [u["path"] for u in json.loads(out)["per_utterance"] if u["wer"] > 0 or u["cer"] > 0]
    assert len(paths) == 2, out  # an untrained model says neither word
    code, out, err = speech(capsys, monkeypatch, "evaluate", "--model", model, "--data", str(manifest))
    assert code == 0, err
    listed = [line.split(maxsplit=2)[2] for line in out.splitlines() if line.startswith("  WER ")]
    assert listed == paths and len(set(listed)) == 2, out

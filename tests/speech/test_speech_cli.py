"""The ``speech`` command line: the conventions of the README, on a tiny model and tiny recordings.

Each call runs the real entry point (:func:`carrousel.speech.cli.main`, as the console script does)
in-process with ``sys.argv`` set, so exit codes and the stdout/stderr split are those a user sees.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from carrousel.core.option_names import flags_named
from carrousel.speech.config import FeatureConfig, SpeechExportConfig
from carrousel.speech.errors import SpeechConfigError
from carrousel.speech.models import CTCModel, CTCModelConfig
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.text import ENGLISH
from tests.cli_harness import assert_training_outputs
from tests.speech.conftest import speech


def test_help_and_version(capsys, monkeypatch) -> None:
    code, out, _ = speech(capsys, monkeypatch, "--version")
    assert code == 0 and out.startswith("carrousel-speech ")
    for cmd in ("synth-corpus", "train", "transcribe", "evaluate", "stream"):
        code, out, _ = speech(capsys, monkeypatch, cmd, "-h")
        assert code == 0 and "Usage" in out and "--quiet" in out
    code, out, _ = speech(capsys, monkeypatch)
    assert code == 0 and "transcribe" in out


def test_nbest_help_says_it_raises_the_beam(capsys, monkeypatch, write_wav, tone, model) -> None:
    """``--nbest N`` alone runs a beam search of N (README); its help said 'needs --beam', which a user reads
    as: without --beam it does nothing."""
    code, out, _ = speech(capsys, monkeypatch, "transcribe", "-h")
    text = " ".join(out.split())
    assert code == 0 and "needs --beam" not in text and "the beam is raised to N" in text
    wav = write_wav("a.wav", tone(1.0))
    code, out, err = speech(
        capsys, monkeypatch, "transcribe", "--model", model, str(wav), "--nbest", "2", "--json"
    )
    assert code == 0 and "nbest" in json.loads(out)["transcripts"][0], err


def test_usage_errors_exit_2(capsys, monkeypatch, tmp_path) -> None:
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--beam", "0", str(tmp_path / "x.wav"))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--help" in err
    code, _, err = speech(capsys, monkeypatch, "transcribe", "--nope")
    assert code == 2 and "No such option" in err
    code, _, err = speech(
        capsys, monkeypatch, "synth-corpus", "--out", str(tmp_path / "c"), "--kind", "poems"
    )
    assert code == 2 and "poems" in err


def test_finetune_epochs_without_prune_or_distill_is_a_usage_error(capsys, monkeypatch, tmp_path) -> None:
    """'speech export -o o --finetune-epochs 3' exported the plain recogniser (exit 0) and ignored the
    option without a word, as bio's and finance's did; now the same usage line, exit 2, before any work
    (its default is never refused)."""
    out = tmp_path / "o"
    code, stdout, err = speech(capsys, monkeypatch, "export", "-o", str(out), "--finetune-epochs", "3")
    assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1, err
    assert "--finetune-epochs is for --prune or --distill (their training); add one or drop it" in err, err
    assert not out.exists()


def test_train_data_without_prune_or_distill_is_one_check(capsys, monkeypatch, tmp_path) -> None:
    """'speech export --train-data C' alone: exit 2 (a usage error, before any work) in the words of
    SpeechExportConfig's check, one helper for both. Before, the CLI said its own shorter line, without
    the way out ('--train-data is for --prune or --distill (the training corpus)'), the config another."""
    with flags_named(), pytest.raises(SpeechConfigError) as config:
        SpeechExportConfig(train_data=("x.tsv",))
    out = tmp_path / "o"
    code, stdout, err = speech(capsys, monkeypatch, "export", "-o", str(out), "--train-data", "x.tsv")
    assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: Invalid value: {config.value}; see 'speech export --help'"), err
    assert str(config.value).endswith("; give --prune F or --distill H") and not out.exists()


def test_synth_corpus_over_an_earlier_corpus_leaves_no_stale_file(
    capsys, monkeypatch, tmp_path, engines
) -> None:
    """'synth-corpus --out corp -n 2' over a corpus of 3: the folder holds the 2 files its manifest lists
    (the new corpus replaces the old one as a whole, core atomic_dir), no third wav of the old one; a run
    that fails part-way leaves the earlier corpus as it was, with one error line (exit 1). Checked in
    session 41: already so on main (this test passes there); it guards the behaviour."""
    import carrousel.speech.synth as synth
    from carrousel.speech.errors import SynthesisError

    corp = tmp_path / "corp"
    for n in ("3", "2"):
        code, _, err = speech(
            capsys, monkeypatch, "synth-corpus", "--out", str(corp), "-n", n, "--workers", "1"
        )
        assert code == 0, err
    listed = [line.split("\t")[0] for line in (corp / "manifest.tsv").read_text().splitlines()[1:]]
    assert listed == ["wav/000000.wav", "wav/000001.wav"]
    assert sorted(p.relative_to(corp).as_posix() for p in corp.rglob("*")) == ["manifest.tsv", "wav", *listed]
    before = {p: p.read_bytes() for p in corp.rglob("*") if p.is_file()}
    real = synth._one

    def fails_second(cfg, engines, index, babble):  # type: ignore[no-untyped-def]
        if index == 1:
            raise SynthesisError("espeak-ng failed (test)")
        return real(cfg, engines, index, babble)

    monkeypatch.setattr(synth, "_one", fails_second)
    code, out, err = speech(
        capsys, monkeypatch, "synth-corpus", "--out", str(corp), "-n", "4", "--workers", "1"
    )
    assert code == 1 and out == "" and err.strip().splitlines() == ["error: espeak-ng failed (test)"], err
    assert {p: p.read_bytes() for p in corp.rglob("*") if p.is_file()} == before
    assert sorted(q.name for q in tmp_path.iterdir()) == ["corp"]  # no temporary folder left


def test_data_errors_exit_1_in_one_line(capsys, monkeypatch, tmp_path, model) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", model, str(empty))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [f"error: {empty} is empty (0 bytes); give a recording with sound"]
    code, _, err = speech(capsys, monkeypatch, "transcribe", "--model", str(tmp_path), str(empty))
    assert code == 1 and "bundle.json" in err and len(err.strip().splitlines()) == 1
    code, _, err = speech(
        capsys, monkeypatch, "evaluate", "--model", model, "--data", str(tmp_path / "no.tsv")
    )
    assert code == 1 and err.startswith("error: --data") and len(err.strip().splitlines()) == 1


def test_a_missing_val_or_train_corpus_is_named_by_its_own_flag(
    capsys, monkeypatch, tmp_path, write_wav, tone, model
) -> None:
    """``train --val-data`` and ``export --train-data`` name their own flag. Before, both said ``error: --data
    missing.tsv: no such file or folder``, a flag the user had given right (or, for export, not at all)."""
    manifest = tmp_path / "m.tsv"
    write_wav("a.wav", tone(1.0))
    manifest.write_text("path\ttranscription\na.wav\tone\n", encoding="utf-8")
    missing, out = tmp_path / "missing.tsv", tmp_path / "out"
    code, stdout, err = speech(
        capsys, monkeypatch, "train", "--data", str(manifest), "--val-data", str(missing), "-o", str(out)
    )
    assert code == 1 and stdout == "" and not out.exists()
    assert err.strip().splitlines() == [
        f"error: --val-data {missing}: no such file or folder; check the path"
    ]
    args = ("export", "--model", model, "-o", str(out), "--train-data", str(missing), "--prune", "0.5")
    code, stdout, err = speech(capsys, monkeypatch, *args)
    assert code == 1 and stdout == "" and not out.exists()
    assert err.strip().splitlines() == [
        f"error: --train-data {missing}: no such file or folder; check the path"
    ]


def test_a_wav_cut_short_is_refused_in_one_line_by_transcribe_and_stream(
    capsys, monkeypatch, write_wav, tone, model
) -> None:
    """A WAV whose header declares more samples than the file holds (an interrupted copy): one line, exit 1,
    as a corpus that lists it. Before, ``transcribe`` and ``stream`` read what was left and printed its text
    (an empty one for a file cut to 0.11 s), exit 0, with no word of the damage. A WAV with the placeholder
    size a pipe writer leaves (0xFFFFFFFF) is still read."""
    bad = write_wav("cut.wav", tone(1.0))
    bad.write_bytes(bad.read_bytes()[: 44 + 8000])  # the header declares 1 s, 0.25 s is left
    line = f"error: {bad} is cut short: its header declares 1.00 s, the file holds 0.25 s"
    for args in (("transcribe", "--model", model, str(bad)), ("stream", str(bad))):
        code, out, err = speech(capsys, monkeypatch, *args)
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, (args, err)
        assert err.startswith(line) and "export it again" in err, err
    piped = write_wav("piped.wav", tone(1.0))
    data = bytearray(piped.read_bytes())
    at = data.index(b"data") + 4
    data[at : at + 4] = b"\xff\xff\xff\xff"
    piped.write_bytes(bytes(data))
    code, _, err = speech(capsys, monkeypatch, "transcribe", "--model", model, str(piped))
    assert code == 0, err


def test_transcribe_json_timestamps_and_nbest(capsys, monkeypatch, write_wav, tone, model) -> None:
    a, b = write_wav("a.wav", tone(1.0)), write_wav("b.wav", tone(0.7, 8000, channels=2), 8000)
    code, out, err = speech(
        capsys, monkeypatch, "transcribe", "--model", model, "--json", "--timestamps", str(a), str(b)
    )
    assert code == 0, err
    doc = json.loads(out)["transcripts"]
    assert [d["path"] for d in doc] == [str(a), str(b)] and doc[1]["seconds"] == pytest.approx(0.7)
    assert all(isinstance(d["words"], list) and 0.0 <= d["confidence"] <= 1.0 for d in doc)
    code, out, _ = speech(
        capsys, monkeypatch, "transcribe", "--model", model, "--beam", "4", "--nbest", "2", "--json", str(a)
    )
    assert code == 0 and "nbest" in json.loads(out)["transcripts"][0]
    code, out, _ = speech(capsys, monkeypatch, "transcribe", "--model", model, "-q", str(a), str(b))
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == [str(a), str(b)]


def test_nbest_says_when_fewer_distinct_texts_exist(capsys, monkeypatch, write_wav, tone, model) -> None:
    """A 30 ms clip gives the network one frame, so its only texts are "" and each single letter: ``--nbest
    50`` returns those (after widening the beam to its limit) and one warning says how many exist."""
    short = write_wav("short.wav", tone(0.03))
    args = ["transcribe", "--model", model, "--beam", "4", "--json", str(short)]
    code, out, err = speech(capsys, monkeypatch, *args, "--nbest", "50")
    assert code == 0, err
    texts = [a["text"] for a in json.loads(out)["transcripts"][0]["nbest"]]
    assert 1 < len(texts) < 50 and len(set(texts)) == len(texts) and all(len(t) <= 1 for t in texts)
    warned = [line for line in err.splitlines() if "distinct transcripts exist" in line]
    assert len(warned) == 1 and f"{short}: {len(texts)} distinct transcripts exist, not 50" in " ".join(
        err.split()
    )
    code, out, err = speech(capsys, monkeypatch, *args, "--nbest", "5")  # as many as asked: no warning
    assert (
        code == 0
        and len(json.loads(out)["transcripts"][0]["nbest"]) == 5
        and "distinct transcripts" not in err
    )


def test_nbest_says_a_file_read_in_chunks_has_no_alternatives(
    capsys, monkeypatch, write_wav, tone, model
) -> None:
    """Before: a recording over ``--chunk-seconds`` (read in chunks, decoded without N-best) came back without
    ``nbest`` and without a word; now one warning names it and the fix."""
    long, short = write_wav("long.wav", tone(3.5)), write_wav("short.wav", tone(1.0))
    args = ["transcribe", "--model", model, "--beam", "4", "--nbest", "2", "--chunk-seconds", "2", "--json"]
    code, out, err = speech(capsys, monkeypatch, *args, str(long), str(short))
    assert code == 0, err
    assert ["nbest" in d for d in json.loads(out)["transcripts"]] == [False, True]
    said = " ".join(err.split())
    assert f"{long}: longer than --chunk-seconds: read in chunks, without --nbest alternatives" in said, err
    assert str(short) not in said, err


def test_a_bad_file_in_a_batch_is_reported_and_the_others_transcribed(
    capsys, monkeypatch, tmp_path, write_wav, tone, model
) -> None:
    """Several files: each bad one (empty, not audio, missing) is one warning line and a JSON entry
    with "error"; the good ones are transcribed; exit 1 at the end (the first bad file stopped it all)."""
    a, b = write_wav("a.wav", tone(1.0)), write_wav("b.wav", tone(0.7))
    empty, junk, missing = tmp_path / "empty.wav", tmp_path / "junk.wav", tmp_path / "missing.wav"
    empty.write_bytes(b"")
    junk.write_bytes(b"RIFF not audio at all")
    files = [str(p) for p in (a, empty, junk, missing, b)]
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", model, "--json", *files)
    assert code == 1
    doc = json.loads(out)["transcripts"]
    assert json.loads(out)["failed"] == 3 and [d["path"] for d in doc] == files
    assert ["error" in d for d in doc] == [False, True, True, True, False]
    assert "text" in doc[0] and "text" not in doc[1] and "empty" in doc[1]["error"]
    assert "not readable audio" in doc[2]["error"] and "no such file" in doc[3]["error"]
    lines = err.strip().splitlines()
    assert [line.split(" ")[1] for line in lines[:3]] == [str(empty), str(junk), f"{missing}:"]
    assert all(line.startswith("warning: ") for line in lines[:3]) and len(lines) == 4
    assert lines[3].startswith("error: 3 of 5 files could not be transcribed")
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", model, "-q", *files)
    assert code == 1 and [line.split("\t")[0] for line in out.splitlines()] == [str(a), str(b)]
    assert len(err.strip().splitlines()) == 4  # the bad files are failures: shown under --quiet too


def test_a_feature_file_for_another_front_end_is_a_per_file_error_in_a_batch(
    capsys, monkeypatch, tmp_path, write_wav, tone
) -> None:
    """A Sphinx .mfc file given to a model with another front end (here log-mel) stopped the whole batch
    (a config error, not a file error); now it is a warning line and a JSON "error" entry like any bad
    file, the others are transcribed and the command exits 1 naming it. Alone, it is the error."""
    feats = FeatureConfig(kind="logmel", n_mels=20)
    net = CTCModel(CTCModelConfig(20, ENGLISH.size, hidden=8, layers=1, conv_channels=8)).eval()
    logmel = str(
        Recognizer(net, ENGLISH, feats, np.zeros(20, np.float32), np.ones(20, np.float32)).save(
            tmp_path / "m"
        )
    )
    mfc = tmp_path / "digits.mfc"
    mfc.write_bytes(np.array([13 * 50], "<i4").tobytes() + np.zeros((50, 13), "<f4").tobytes())
    a, b = write_wav("a.wav", tone(1.0)), write_wav("b.wav", tone(0.7))
    files = [str(a), str(mfc), str(b)]
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", logmel, "--json", *files)
    assert code == 1, err
    doc = json.loads(out)["transcripts"]
    assert [d["path"] for d in doc] == files and ["error" in d for d in doc] == [False, True, False]
    assert "Sphinx MFCC features" in doc[1]["error"] and "front end" in doc[1]["error"]
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"warning: {mfc} holds Sphinx MFCC features")
    assert lines[1].startswith("error: 1 of 3 files could not be transcribed") and str(mfc) in lines[1]
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", logmel, str(mfc))
    assert (code, out) == (1, "") and err.startswith(f"error: {mfc} holds Sphinx MFCC features"), err
    assert len(err.strip().splitlines()) == 1


def test_a_feature_file_for_other_mfcc_settings_is_refused_per_file(
    capsys, monkeypatch, tmp_path, write_wav, tone, model
) -> None:
    """A model identical to the Sphinx front end but for its mel filters (40, Sphinx's wideband count)
    decoded a TIDIGITS .mfc file silently into garbage (only kind and 13 cepstra were compared); now it
    is a warning naming the setting in a batch, the others transcribed, and alone the one-line error.
    The Sphinx-front-end model still decodes the same file."""
    net = CTCModel(CTCModelConfig(13, ENGLISH.size, hidden=8, layers=1, conv_channels=8)).eval()
    rec = Recognizer(
        net, ENGLISH, FeatureConfig(n_mels=40), np.zeros(13, np.float32), np.ones(13, np.float32)
    )
    wide = str(rec.save(tmp_path / "wide"))
    mfc = tmp_path / "digits.mfc"
    mfc.write_bytes(np.array([13 * 50], "<i4").tobytes() + np.random.rand(50, 13).astype("<f4").tobytes())
    a, b = write_wav("a.wav", tone(1.0)), write_wav("b.wav", tone(0.7))
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", wide, str(a), str(mfc), str(b))
    assert code == 1 and [line.split("\t")[0] for line in out.splitlines()] == [str(a), str(b)], err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"warning: {mfc} holds Sphinx MFCC features"), err
    assert "n_mels=40 (the Sphinx front end's: 20)" in lines[0] and "give the recording's audio" in lines[0]
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", wide, str(mfc))
    assert (code, out) == (1, "") and "n_mels=40" in err and len(err.strip().splitlines()) == 1, err
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", model, str(mfc))
    assert code == 0 and out.endswith("\n"), err  # the Sphinx front end decodes it (random words)


def test_hotwords_the_model_cannot_spell_are_named_in_one_warning(
    capsys, monkeypatch, write_wav, tone, model
) -> None:
    """A hotword with characters outside the alphabet, or nothing left once normalised, was dropped
    silently; now one warning per run names each with the reason (the usable ones still apply), on one
    line when stderr is not a terminal (it was wrapped at 80 columns)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    a, b = write_wav("a.wav", tone(1.0)), write_wav("b.wav", tone(0.7))
    args = ["--hotword", "café", "--hotword", "box", "--hotword", "!!!", str(a), str(b)]
    code, out, err = speech(capsys, monkeypatch, "transcribe", "--model", model, *args)
    assert code == 0 and len(out.splitlines()) == 2
    assert len(err.splitlines()) == 1 and err.startswith("WARNING  hotwords ignored"), err
    flat = " ".join(err.split())
    assert flat.count("hotwords ignored") == 1 and "'café' ('é' not in its alphabet)" in flat
    assert "'!!!' (nothing left once normalised)" in flat and "'box'" not in flat
    code, _, err = speech(capsys, monkeypatch, "transcribe", "--model", model, "--hotword", "box", str(a))
    assert code == 0 and "hotwords" not in err


def test_evaluate_json_is_strict(capsys, monkeypatch, tmp_path, write_wav, tone, model) -> None:
    write_wav("a.wav", tone(1.0))
    (tmp_path / "m.tsv").write_text("path\ttranscript\na.wav\tgo left\n", encoding="utf-8")
    code, out, _ = speech(
        capsys, monkeypatch, "evaluate", "--model", model, "--data", str(tmp_path / "m.tsv"), "--json"
    )
    assert code == 0
    doc = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert doc["utterances"] == 1 and doc["per_utterance"][0]["reference"] == "go left"
    assert doc["totals"]["cer"] >= 0.0 and doc["totals"]["words"] == 2


def test_evaluate_names_reference_letters_the_model_cannot_write(
    capsys, monkeypatch, tmp_path, write_wav, tone, model
) -> None:
    """An English model scored on German or French transcripts: words with 'ü' or 'é' count as errors
    whatever it hears, and nothing said so. One warning now counts those words and names the letters."""
    monkeypatch.delenv("COLUMNS", raising=False)
    write_wav("a.wav", tone(1.0))
    write_wav("b.wav", tone(0.8))
    manifest = tmp_path / "m.tsv"
    manifest.write_text("path\ttranscript\na.wav\tfünf über null\nb.wav\tcafé noir\n", encoding="utf-8")
    code, _, err = speech(capsys, monkeypatch, "evaluate", "--model", model, "--data", str(manifest))
    assert code == 0, err
    flat = " ".join(err.split())
    assert "3 of 5 reference words hold letters the model cannot write ('é', 'ü')" in flat, err
    manifest.write_text("path\ttranscript\na.wav\tgo left\n", encoding="utf-8")
    code, _, err = speech(capsys, monkeypatch, "evaluate", "--model", model, "--data", str(manifest))
    assert code == 0 and "cannot write" not in err, err


def test_evaluate_summary_counts_in_the_right_number(
    capsys, monkeypatch, tmp_path, write_wav, tone, model
) -> None:
    # before: "1 utterances, 1 words"
    write_wav("a.wav", tone(1.0))
    (tmp_path / "m.tsv").write_text("path\ttranscript\na.wav\tgo\n", encoding="utf-8")
    code, out, _ = speech(
        capsys, monkeypatch, "evaluate", "--model", model, "--data", str(tmp_path / "m.tsv")
    )
    assert code == 0 and out.startswith("1 utterance, 1 word (greedy): WER "), out


def test_stream_needs_a_unidirectional_model(capsys, monkeypatch, write_wav, tone, model) -> None:
    code, _, err = speech(capsys, monkeypatch, "stream", "--model", model, str(write_wav("a.wav", tone(1.0))))
    assert code == 1 and "unidirectional" in err and len(err.strip().splitlines()) == 1


def test_stream_of_an_mfc_file_points_to_transcribe(capsys, monkeypatch, tmp_path) -> None:
    # before: "x.mfc is not readable audio (Format not recognised.); give a WAV..." (transcribe reads .mfc)
    mfc = tmp_path / "x.mfc"
    mfc.write_bytes(np.array([26], ">i4").tobytes() + np.zeros(26, ">f4").tobytes())
    code, out, err = speech(capsys, monkeypatch, "stream", str(mfc))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "takes audio only" in err and "speech transcribe" in err and "not readable audio" not in err
    # the formats it names are the reader's, one list (audio.READABLE_NAMED): before, "(WAV, FLAC, OGG)"
    # where the reader's own error named MP3 too
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not audio at all")
    code, _, unreadable = speech(capsys, monkeypatch, "stream", str(junk))
    named = " ".join(unreadable.split()).split("give a ", 1)[1].split(" file (convert", 1)[0]
    assert code == 1 and "WAV, FLAC" in named, unreadable
    assert f"takes audio only ({named}, or another format soundfile reads)" in " ".join(err.split()), err


def test_train_with_toml_config_writes_a_bundle(capsys, monkeypatch, tmp_path, write_wav, tone) -> None:
    rows = ["path\ttranscript"]
    for i in range(8):
        write_wav(f"u{i}.wav", tone(1.0, freq=120.0 + 30 * i))
        rows.append(f"u{i}.wav\t{'yes' if i % 2 else 'no'}")
    (tmp_path / "m.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "run.toml").write_text(
        "hidden = 8\nlayers = 1\nconv_channels = 8\nepochs = 5\nworkers = 0\n[features]\nn_mels = 24\n",
        encoding="utf-8",
    )
    out = tmp_path / "model"
    args = [
        "train",
        "--data",
        str(tmp_path / "m.tsv"),
        "--out",
        str(out),
        "--config",
        str(tmp_path / "run.toml"),
    ]
    code, stdout, err = speech(capsys, monkeypatch, *args, "--max-steps", "2", "--json")
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["steps"] == 2 and doc["parameters"] < 20_000 and doc["utterances"] + doc["val_utterances"] == 8
    manifest = json.loads((out / "bundle.json").read_text())
    assert manifest["config"]["hidden"] == 8 and manifest["assets"]["features"]["n_mels"] == 24
    rows = assert_training_outputs(out, doc["epochs"])  # history.csv and training.png beside the bundle

    def six(row: dict[str, str], key: str) -> float:
        return float(f"{float(row[key]):.6g}")

    # --json keeps 6 significant digits of history.csv; to 5 decimal places, the one-cycle schedule's last
    # learning rate (lr / 25 / 1e4 = 1.2e-08) read 0.0
    assert [(six(r, "val_cer"), six(r, "lr")) for r in rows] == [
        (h["val_cer"], h["lr"]) for h in doc["history"]
    ]
    assert 0 < doc["history"][-1]["lr"] < 1e-5
    code, _, err = speech(capsys, monkeypatch, "transcribe", str(tmp_path / "u0.wav"), "--model", str(out))
    assert code == 0, err  # the folder with the two new files still loads and transcribes
    bad = tmp_path / "bad.toml"
    args = ["train", "--data", str(tmp_path / "m.tsv"), "--out", str(out), "--config", str(bad)]
    # a malformed file; then a value out of range in the file: the config's own check (a flag's is a usage error)
    for text, said in (("hidden = [\n", "not valid TOML"), ("lr = -1\n", "lr must be in (0, 1]")):
        bad.write_text(text, encoding="utf-8")
        code, _, err = speech(capsys, monkeypatch, *args)
        assert code == 1 and said in err and len(err.strip().splitlines()) == 1, err


def test_stream_with_the_shipped_streaming_model(capsys, monkeypatch, write_wav, tone) -> None:
    code, out, _ = speech(capsys, monkeypatch, "stream", "--json", str(write_wav("a.wav", tone(1.5))))
    assert code == 0
    doc = json.loads(out)
    assert doc["final"]["final"] and doc["final"]["time"] == pytest.approx(1.5)
    # the final update says how the shipped model was trained and what it ran in (before: neither)
    assert (doc["final"]["trained_precision"], doc["final"]["precision"]) == ("fp32", "fp32")


def test_json_confidence_is_rounded_like_the_words() -> None:
    # before: the mean of the 4-place word confidences leaked float noise ("confidence": 0.6588299999999999)
    from carrousel.core.cli_values import to_jsonable
    from carrousel.speech.cli.transcribe import _transcript_json
    from carrousel.speech.decoding import Word
    from carrousel.speech.transcripts import Transcript

    words = tuple(Word(w, 0.0, 0.1, c) for w, c in zip("abc", (0.6588, 0.6589, 0.6588), strict=True))
    doc = json.loads(
        json.dumps(to_jsonable(_transcript_json(Transcript("x.wav", "a b c", words, 1.0), True)))
    )
    assert doc["confidence"] == 0.6588
    assert doc["confidence"] == round(doc["confidence"], 4) and [w["confidence"] for w in doc["words"]] == [
        0.6588,
        0.6589,
        0.6588,
    ]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["synth-corpus", "-n", "1000000000000"], "--utterances"),  # was 'utterances must be in 1..1000000'
        (["stream", "x.wav", "--max-seconds", "1e12"], "--max-seconds"),  # was 'max_seconds must be in ...'
        (["transcribe", "x.wav", "--max-seconds", "1e12"], "--max-seconds"),
        (["train", "--data", "d", "--lr", "0"], "--lr"),  # was 'TrainConfig: lr must be in (0, 1]'
        (["train", "--data", "d", "--lr", "2"], "--lr"),
        (["train", "--data", "d", "--max-utterances", "1"], "--max-utterances"),
        (["train", "--data", "d", "--batch-seconds", "0"], "--batch-seconds"),
        (["train", "--data", "d", "--hidden", "4"], "--hidden"),
        (["train", "--data", "d", "--layers", "9"], "--layers"),
        (["train", "--data", "d", "--subsample", "5"], "--subsample"),
        (["train", "--data", "d", "--subwords", "-1"], "--subwords"),
        (["train", "--data", "d", "--val-fraction", "0.5"], "--val-fraction"),
    ],
)
def test_out_of_range_numbers_are_usage_errors_naming_the_flag(
    capsys, monkeypatch, tmp_path, args: list[str], flag: str
) -> None:
    """The configs' own checks named a field ('TrainConfig: lr must be in (0, 1]', exit 1), after the data
    was looked for; the option ranges name the flag and the range (exit 2) before any work."""
    monkeypatch.chdir(tmp_path)
    code, out, err = speech(
        capsys, monkeypatch, *args, *(["-o", "o"] if args[0] in ("train", "synth-corpus") else [])
    )
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert f"Invalid value for '{flag}'" in err and "--help" in err, err
    assert not (tmp_path / "o").exists()

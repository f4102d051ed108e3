"""``speech export --prune F``: the acoustic model's LSTM units pruned through core's
:func:`~carrousel.core.prune.prune_and_finetune`, fine-tuned with CTC, exported like the full model.

A tiny model (2 layers of 32 units, trained for two steps on a synthesised digit corpus it records) shows
the mechanics: every LSTM weight and the head's input shrink, the bundle loads, the normal ``speech
transcribe`` runs it, and the default fine-tuning corpus is the one the model records. The shipped
recogniser (a learned model) shows the metric: a quarter of its units pruned and fine-tuned for two
epochs on 24 synthesised digit strings (held-out CTC loss lower than right after pruning), its greedy
CER on 8 strings of voices it never heard stays within ``CER_MARGIN`` of the full model's (measured while
writing this: 0.000 and 0.000; a half pruned the same way: 0.122, three quarters: 0.561).

The fixtures ``corpora`` and ``tiny`` (shared with ``test_speech_distill``) are in ``conftest.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.speech.cli import app
from carrousel.speech.config import EvaluateConfig, SpeechExportConfig, TranscribeConfig
from carrousel.speech.deploy import export_recognizer
from carrousel.speech.errors import CorpusError, SpeechConfigError
from carrousel.speech.pipeline import evaluate
from carrousel.speech.recognizer import Recognizer
from tests.speech.conftest import sine_manifest

CER_MARGIN = 0.05  # pruned-and-fine-tuned CER may exceed the full model's by at most this (absolute)


def test_pruned_shapes_shrink_and_transcribe_runs_the_bundle(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "pruned"
    args = ["export", "--model", str(tiny), "-o", str(out), "--prune", "0.5", "--finetune-epochs", "1"]
    res = CliRunner().invoke(app, [*args, "--precision", "fp32", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    pruned = doc["extra"]["pruned"]
    assert pruned["hidden_size"] == {"before": 32, "after": 16} and pruned["epochs"] == 1
    assert doc["parameters"] == pruned["parameters"]["after"] and set(doc["latency_ms"]) == {"1", "64"}
    assert "the model's training corpora" in pruned["utterances"]["source"]
    assert pruned["utterances"]["held_out"] >= 1 and "cer" in pruned["val_finetuned"]
    full, small = Recognizer.from_pretrained(tiny), Recognizer.from_pretrained(out)
    assert small.runtime is not None and small.model.config.hidden == 16
    full_params = sum(p.numel() for p in full.model.parameters())
    assert pruned["parameters"]["before"] == full_params > pruned["parameters"]["after"]
    sd = small.model.state_dict()
    assert sd["head.weight"].shape == (full.model.config.n_classes, 32)  # 2 directions x 16
    assert sd["encoder.rnn.weight_hh_l1_reverse"].shape == (64, 16)  # 4 gates x 16, 16 units
    assert sd["encoder.rnn.weight_ih_l1"].shape == (64, 32)  # reads both directions of layer 0
    assert small.alphabet == full.alphabet and np.array_equal(small.mean, full.mean)
    wav = str(Path(json.loads(Path(out, "bundle.json").read_text())["data"]["corpora"][0]).parent / "0.wav")
    res = CliRunner().invoke(app, ["transcribe", "--model", str(out), wav, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["transcripts"][0]["text"] == next(small.transcribe_files([wav])).text


def test_pruned_shipped_model_keeps_its_cer(corpora: dict[str, str], tmp_path: Path) -> None:
    cfg = SpeechExportConfig(
        data=(corpora["test"],),
        precision="fp32",
        prune=0.25,
        finetune_epochs=2,
        train_data=(corpora["train"],),
    )
    report = export_recognizer(cfg, tmp_path / "p25")
    pruned = report.extra["pruned"]
    assert pruned["hidden_size"] == {"before": 160, "after": 120}
    assert pruned["parameters"]["after"] < 0.7 * pruned["parameters"]["before"]
    cer_full, cer_pruned = report.extra["cer_before"], report.extra["cer_after"]
    print(
        f"held-out CER full {cer_full:.3f}, pruned 0.25 {cer_pruned:.3f}; WER {report.before} -> {report.after}"
    )
    assert cer_full < 0.3 and cer_pruned <= cer_full + CER_MARGIN
    assert pruned["val_finetuned"]["loss"] < pruned["val_pruned"]["loss"]  # fine-tuning recovered some
    again = evaluate(
        EvaluateConfig(data=(corpora["test"],), transcribe=TranscribeConfig(model=str(tmp_path / "p25")))
    )
    assert again.totals.cer == pytest.approx(cer_pruned)


def test_recorded_corpus_gone_is_one_line_error(tiny: Path, tmp_path: Path) -> None:
    bundle = json.loads(Path(tiny, "bundle.json").read_text())
    moved = tmp_path / "moved"
    import shutil

    shutil.copytree(tiny, moved)
    bundle["data"]["corpora"] = [str(tmp_path / "gone" / "manifest.tsv")]
    bundle["data"]["resolved"] = {"corpora": [str(tmp_path / "gone" / "manifest.tsv")], "val_data": []}
    Path(moved, "bundle.json").write_text(json.dumps(bundle))
    with pytest.raises(CorpusError, match=r"fine-tune on with train_data$"):
        export_recognizer(SpeechExportConfig(model=str(moved), prune=0.5), tmp_path / "x")
    res = CliRunner().invoke(
        app, ["export", "--model", str(moved), "-o", str(tmp_path / "y"), "--prune", "0.5"]
    )
    assert res.exit_code == 1 and "--train-data" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "y").exists()


def test_bad_prune_options() -> None:
    with pytest.raises(SpeechConfigError, match=r"^prune=1\.0: give the share"):  # a Python caller's names
        SpeechExportConfig(prune=1.0)
    with pytest.raises(SpeechConfigError, match=r"^train_data is for prune or distill"):
        SpeechExportConfig(train_data=("x.tsv",))
    runner = CliRunner()
    res = runner.invoke(app, ["export", "-o", "x", "--prune", "0.99"])
    assert res.exit_code == 2 and "--prune" in res.output
    res = runner.invoke(app, ["export", "-o", "x", "--train-data", "x.tsv"])
    assert res.exit_code == 2 and "--train-data" in res.output
    res = runner.invoke(app, ["export", "-o", "x", "--prune", "0.5", "--finetune-epochs", "0"])
    assert res.exit_code == 2 and "--finetune-epochs" in res.output


def test_a_relative_training_corpus_is_found_from_another_folder(
    corpora, tmp_path: Path, monkeypatch
) -> None:
    """``speech train --data train/manifest.tsv`` recorded the corpus as given: ``export --prune`` run from
    another folder could not read it and needed ``--train-data``. The bundle records it resolved as well
    (validation corpora too); a bundle written before reads as it did."""
    from dataclasses import replace

    from carrousel.speech.pipeline import train
    from carrousel.speech.prune import finetune_corpus
    from tests.speech.conftest import two_steps

    root = Path(corpora["train"]).parent.parent
    monkeypatch.chdir(root)
    train(replace(two_steps("train/manifest.tsv", 8, 1, 0), val_data=("test/manifest.tsv",)), tmp_path / "m")
    provenance = json.loads((tmp_path / "m" / "bundle.json").read_text())["data"]
    assert provenance["corpora"] == ["train/manifest.tsv"]  # as given, kept
    assert provenance["config"]["val_data"] == ["test/manifest.tsv"]
    assert provenance["resolved"] == {
        "corpora": [str(root / "train" / "manifest.tsv")],
        "val_data": [str(root / "test" / "manifest.tsv")],
    }
    full, cfg = Recognizer.from_pretrained(tmp_path / "m"), SpeechExportConfig(prune=0.5)
    here = [len(u) for u in finetune_corpus(full, provenance, cfg)[:2]]
    old = {k: v for k, v in provenance.items() if k != "resolved"}  # a bundle written before
    assert [len(u) for u in finetune_corpus(full, old, cfg)[:2]] == here
    monkeypatch.chdir(tmp_path)  # elsewhere: the resolved corpora
    train_utts, val_utts, where = finetune_corpus(full, provenance, cfg)
    assert [len(train_utts), len(val_utts)] == here and str(root) in where
    with pytest.raises(CorpusError, match=r"cannot be read .*train_data$"):  # the old bundle, as before
        finetune_corpus(full, old, cfg)
    from carrousel.speech.calibrate import calibration_batches  # int8 export's calibration reads them too

    batches, source = calibration_batches(full, provenance)
    assert batches and source.endswith(f"of the training corpora ({root / 'train' / 'manifest.tsv'})"), source


def test_resolved_corpora_keep_prefixes_splits_and_sample_groups(tmp_path: Path, monkeypatch) -> None:
    from carrousel.speech.training_record import recorded_corpora, resolved_corpora

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    specs = ["m.tsv", "kaldi:data/train#dev", "sample:digits", "~/c", "librispeech:/abs/root"]
    assert resolved_corpora(specs) == [
        str(tmp_path / "m.tsv"),
        f"kaldi:{tmp_path}/data/train#dev",
        "sample:digits",
        str(tmp_path / "home" / "c"),
        "librispeech:/abs/root",
    ]
    (tmp_path / "m.tsv").write_text("path\ttranscript\n")
    record = {
        "corpora": ["m.tsv", "gone.tsv"],
        "resolved": {"corpora": [str(tmp_path / "m.tsv"), "/x/gone.tsv"]},
    }
    assert recorded_corpora(record) == (
        str(tmp_path / "m.tsv"),
        "gone.tsv",
    )  # a resolved one that is gone: as given
    assert recorded_corpora({"corpora": ["a.tsv"], "resolved": "junk"}) == ("a.tsv",)  # hand-edited: as given


@pytest.mark.parametrize(
    ("n", "transcript", "said"),
    [
        (1, "one", "its 1 utterance(s) all went to validation"),  # --train-data's tenth: at least one
        (
            3,
            "one two three four five six seven eight nine ten",
            "(left out: 3 too short for transcript, 1 of them split off for validation)",
        ),
    ],
)
def test_a_fine_tuning_corpus_with_nothing_to_train_on_says_why_and_the_fix(
    tmp_path: Path, n: int, transcript: str, said: str
) -> None:
    """Before: ``...: no usable training utterance for this model (dropped: {'too_long': 0, ...})``, a
    Python dict, all zeros for a corpus of one (held out whole), naming no fix."""
    data = sine_manifest(tmp_path, 0.5, n, transcript)  # half a second: too short for ten words
    args = ["export", "-o", str(tmp_path / "out"), "--prune", "0.5", "--train-data", data]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    line = res.output.strip()
    assert len(line.splitlines()) == 1 and said in line and "{" not in line, line
    assert line.endswith("--train-data CORPUS") or "give with --train-data CORPUS recordings" in line, line
    assert not (tmp_path / "out").exists()

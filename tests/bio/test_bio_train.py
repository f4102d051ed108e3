"""Training sources: BED peaks with summits, GC-matched background, and the ``bio train`` CLI end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio.bed import read_bed
from carrousel.bio.cli import app
from carrousel.bio.data import fit_windows, gc_matched_windows, peak_windows
from carrousel.bio.errors import BedFormatError
from carrousel.bio.fasta import decode, encode
from carrousel.bio.pipeline import load_model
from tests.cli_harness import assert_training_outputs


def test_peaks_read_at_summit_and_padded(tmp_path, write_fasta) -> None:
    fa = write_fasta(tmp_path / "g.fa", {"chr1": "A" * 100 + "CCCCGGGG" + "T" * 100, "chr2": "ACGT" * 10})
    bed = tmp_path / "p.bed"
    bed.write_text("track name=x\nchr1\t90\t130\tp1\t0\t.\t0\t0\t0\t14\nchr2\t0\t4\nchrZ\t0\t10\n")
    assert read_bed(bed)[0] == ("chr1", 90, 130, 14)
    w = peak_windows(bed, fa, 8)
    assert decode(w[0]) == "CCCCGGGG"  # centred on the summit 90 + 14 = 104
    assert w.shape == (2, 8) and decode(w[1]) == "NNACGTAC"  # runs off chr2 start: N padding
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\tx\t10\n")
    with pytest.raises(BedFormatError, match="line 1"):
        read_bed(bad)


def test_gc_matched_background(lambda_fa, rng) -> None:
    targets = np.stack([encode("GC" * 50), encode("AT" * 50), encode("ACGT" * 25)])
    bg = gc_matched_windows(lambda_fa, targets, 4, rng)
    gc = ((bg == 1) | (bg == 2)).mean(axis=1).reshape(3, 4).mean(axis=1)
    assert gc[0] > gc[2] > gc[1]  # background follows the targets' GC content


def test_fit_windows() -> None:
    w = fit_windows([encode("ACGTACGTAC"), encode("GG")], 4)
    assert decode(w[0]) == "TACG" and decode(w[1]) == "NGGN"


def test_cli_train_positives_negatives(tmp_path, planted_windows) -> None:
    pfa, nfa = planted_windows(80)
    out = tmp_path / "model"
    args = [
        "train",
        "--positives",
        str(pfa),
        "--negatives",
        str(nfa),
        "--window",
        "100",
        "--epochs",
        "2",
        "--filters",
        "8",
        "--kernel",
        "13",
        "--hidden",
        "4",
        "-o",
        str(out),
        "--json",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["tasks"] == 1 and summary["windows"] == 160
    assert_training_outputs(out, summary["epochs"])  # history.csv (one row per epoch) and training.png
    bundle = load_model(out)
    assert len(bundle.motifs) == 1 and bundle.motifs[0].id.startswith("task0_filter")  # from the filters
    res = CliRunner().invoke(
        app, ["evaluate", "--model", str(out), "--positives", str(pfa), "--negatives", str(nfa), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["model"]["auroc"] > 0.6
    disc = tmp_path / "disc"
    res = CliRunner().invoke(
        app,
        ["discover", str(pfa), "--model", str(out), "-o", str(disc), "--jaspar", "CTCF,REST,SP1", "--json"],
    )
    assert res.exit_code == 0, res.output
    found = json.loads(res.stdout)["motifs"]
    assert found and all(len(m["matches"]) >= 1 for m in found)
    assert (disc / "motifs.meme").read_text().startswith("MEME version 4")
    assert (disc / "report.md").is_file() and any((disc / "logos").glob("*.png"))


def test_patience_help_names_the_monitored_auroc() -> None:
    """``bio train`` stops on the held-out AUROC (``pipeline.train``: ``monitor="val_auroc"``, gains under
    0.001 are none), as the bio README says; ``--help`` said "a lower held-out loss"."""
    res = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    line = " ".join(res.stdout.split("--patience", 1)[1].split("--shuffled-negatives", 1)[0].split())
    assert "AUROC" in line and "loss" not in line, line


def test_train_writes_its_curves_through_cores_history_writer(tmp_path, monkeypatch) -> None:
    """bio train built its own ``partial(write_history, ...)``, as its FitResult lacked ``monitor``; it now
    hands its result to core's ``history_writer`` (the one place for it), which reads the monitored figure
    from the result: the same history.csv (the history's CSV, byte for byte) and training.png."""
    import carrousel.bio.pipeline as pipeline_mod
    from carrousel.core.curves import history_csv, history_writer

    seen = []

    def spy(result, title, plot, kept=True):
        seen.append(result)
        return history_writer(result, title, plot, kept)

    monkeypatch.setattr(pipeline_mod, "history_writer", spy)
    out = tmp_path / "model"
    args = ["train", "-m", "CTCF", "--per-motif", "60", "--window", "60", "--epochs", "2", "--filters", "4"]
    res = CliRunner().invoke(app, [*args, "--kernel", "9", "--hidden", "4", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    (result,) = seen
    assert result.monitor == "val_auroc"  # the figure bio train stops on, drawn beside the loss
    assert (out / "history.csv").read_bytes() == history_csv(result.history).encode()
    assert_training_outputs(out, len(result.history))


def test_train_shows_the_trainers_bar_on_a_terminal(tmp_path, monkeypatch, peak_pair, capfd) -> None:
    """``bio train`` showed nothing while it trained (the panel's 8 epochs: 5 minutes of silence): the
    trainer's bar was off. The CLI now asks for it on a terminal and not under ``--quiet``; the pipeline
    draws it on stderr, one bar per epoch, and logs each epoch once under ``-v``."""
    import io

    from rich.console import Console

    import carrousel.bio.pipeline as pipeline
    import carrousel.core.cli as core_cli

    asked: list[bool] = []

    def spy(*args: object, progress: bool = False, **kwargs: object) -> None:
        asked.append(progress)  # and no training: the CLI then reports the missing result as an error

    monkeypatch.setattr(pipeline, "train", spy)
    pos, neg = peak_pair(30)
    args = ["train", "--positives", str(pos), "--negatives", str(neg), "--epochs", "1"]
    for terminal, quiet in ((True, False), (True, True), (False, False)):
        screen = Console(file=io.StringIO(), force_terminal=terminal)
        monkeypatch.setattr(core_cli, "stderr", screen)
        CliRunner().invoke(app, [*args, "-o", str(tmp_path / "m"), *(["-q"] if quiet else [])])
    assert asked == [True, False, False]
    monkeypatch.undo()
    from carrousel.bio.config import FitConfig, NetworkConfig, TrainConfig, TrainDataConfig

    data = TrainDataConfig(positives=str(pos), negatives=str(neg))
    cfg = TrainConfig(
        data=data, network=NetworkConfig(filters=8, hidden=4), fit=FitConfig(epochs=1, n_null=50)
    )
    pipeline.train(cfg, tmp_path / "m", progress=True)
    assert "epoch 1/1" in capfd.readouterr().err

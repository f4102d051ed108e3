"""``bio export --prune F``: the pruned variant (fewer LSTM units, fine-tuned on the windows the model
records it was trained on, nulls recomputed) shrinks, loads and scans through ``bio scan --model DIR``, and
keeps the held-out AUROC of a learned toy within a stated tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio.bundle import load_model
from carrousel.bio.cli import app
from carrousel.bio.config import ExportConfig
from carrousel.bio.deploy import export_model
from carrousel.bio.errors import ExportConfigError
from tests.bio.conftest import planted_scan_beds

runner = CliRunner()


def test_pruned_export_shrinks_keeps_auroc_and_scans(tmp_path: Path, toy: dict[str, Path]) -> None:
    out = tmp_path / "pruned"
    res = runner.invoke(
        app,
        [
            "export", "--model", str(toy["model"]), "-o", str(out), "--precision", "fp32", "--prune", "0.5",
            "--positives", str(toy["test_pos"]), "--negatives", str(toy["test_neg"]), "--json",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    pruned = doc["extra"]["pruned"]
    assert pruned["hidden_size"] == {"before": 8, "after": 4}
    assert pruned["parameters"]["after"] < pruned["parameters"]["before"] == _params(toy["model"])
    assert doc["parameters"] == pruned["parameters"]["after"]
    assert "training files" in pruned["windows"]["source"] and pruned["epochs"] >= 1
    assert doc["before"] > 0.9  # the toy learned the site
    assert doc["after"] >= doc["before"] - 0.05  # stated tolerance: 0.05 held-out AUROC at half the units
    assert "pruned one, deployed" in doc["metric_note"]
    small, full = load_model(out), load_model(toy["model"])
    assert small.runtime is not None and small.model.config.hidden == 4
    assert small.model.rnn.config.hidden_size == 4 and small.model.head.weight.shape == (1, 2 * 4 + 8)
    # the nulls are the pruned network's own: recomputed, not copied from the full model
    assert small.calibration.null.shape == full.calibration.null.shape
    assert not np.array_equal(small.calibration.null, full.calibration.null)
    assert (small.background is None) == (full.background is None)  # the same kind of peak-set calls
    beds = planted_scan_beds(tmp_path, {"full": toy["model"], "pruned": out})
    rows = [line.split("\t") for line in beds["pruned"].splitlines()]
    assert any(int(r[1]) == 499 for r in rows) and any(int(r[1]) == 1013 for r in rows)  # both planted sites
    assert beds["pruned"] == beds["full"]  # the same calls as the full model


def _params(folder: Path) -> int:
    return sum(p.numel() for p in load_model(folder).model.parameters())


def test_finetune_epochs_without_prune_or_distill_is_a_usage_error(tmp_path: Path) -> None:
    """'bio export -o o --finetune-epochs 3' exported the plain network and ignored the option without a
    word, where its siblings (--train-positives, --distill-filters) are usage errors; now one too, before
    any work. With --prune or --distill it is read; its default is never refused."""
    res = runner.invoke(app, ["export", "-o", str(tmp_path / "o"), "--finetune-epochs", "3"])
    assert res.exit_code == 2 and "--finetune-epochs is for --prune or --distill" in res.output, res.output
    assert not (tmp_path / "o").exists()


def test_prune_options_are_checked_before_any_work(tmp_path: Path, toy: dict[str, Path]) -> None:
    res = runner.invoke(app, ["export", "-o", str(tmp_path / "o"), "--train-positives", str(toy["pos"])])
    assert res.exit_code == 2 and "--prune" in res.output
    res = runner.invoke(app, ["export", "-o", str(tmp_path / "o"), "--prune", "1.5"])
    assert res.exit_code == 2
    with pytest.raises(ExportConfigError, match="needs train_positives"):
        ExportConfig(prune=0.5, train_negatives="n.fa")
    # the packaged panel has 24 outputs: one-task FASTA windows cannot fine-tune it (one line, exit 1)
    res = runner.invoke(
        app,
        ["export", "-o", str(tmp_path / "o"), "--prune", "0.5", "--train-positives", str(toy["pos"])],
    )
    assert (
        res.exit_code == 1 and "one-output model" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    )
    assert not (tmp_path / "o").exists()
    with pytest.raises(ExportConfigError, match="24 outputs"):
        export_model(ExportConfig(prune=0.5, train_positives=str(toy["pos"])), tmp_path / "o2")


def test_a_planted_model_is_fine_tuned_on_its_motifs_planted_in_its_recorded_genome(
    tmp_path: Path, lambda_fa: Path
) -> None:
    model = tmp_path / "m"
    sizes = ["--window", "100", "--epochs", "2", "--filters", "8", "--kernel", "9", "--hidden", "8"]
    args = [
        "train",
        "-m",
        "CTCF,REST",
        "--genome",
        str(lambda_fa),
        "--per-motif",
        "30",
        *sizes,
        "-o",
        str(model),
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = tmp_path / "p"
    res = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(model),
            "-o",
            str(out),
            "--prune",
            "0.5",
            "--finetune-epochs",
            "1",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    pruned = json.loads(res.stdout)["extra"]["pruned"]
    assert pruned["hidden_size"] == {"before": 8, "after": 4} and pruned["epochs"] == 1
    assert (
        pruned["windows"]["source"] == f"the model's 2 motifs planted in {lambda_fa} (as bio train --motif)"
    )
    small = load_model(out)
    assert small.model.config.n_outputs == 2 and [m.id for m in small.motifs] == [
        m.id for m in load_model(model).motifs
    ]


def test_export_shows_the_trainers_bar_while_it_fine_tunes(
    tmp_path: Path, toy: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """``bio export --prune`` / ``--distill`` trained silently (the panel's ``--prune 0.5``: 77 s in all, 54 s
    of them its 5 fine-tuning epochs, shown by nothing): the CLI now asks for the trainer's bar as ``bio
    train`` does (a terminal, not ``--quiet``), and both variants draw it, one bar per epoch."""
    import io

    from rich.console import Console

    import carrousel.bio.pipeline as pipeline
    import carrousel.core.cli as core_cli

    asked: list[bool] = []

    def spy(*args: object, progress: bool = False, **kwargs: object) -> None:
        asked.append(progress)  # and no export: the CLI then fails on the missing report

    monkeypatch.setattr(pipeline, "export_model", spy)
    for terminal, quiet in ((True, False), (True, True), (False, False)):
        monkeypatch.setattr(core_cli, "stderr", Console(file=io.StringIO(), force_terminal=terminal))
        args = ["export", "-o", str(tmp_path / "o"), "--prune", "0.5", *(["-q"] if quiet else [])]
        runner.invoke(app, args)
    assert asked == [True, False, False]
    monkeypatch.undo()
    capfd.readouterr()
    model = str(toy["model"])
    for name, cfg in (
        ("pruned", ExportConfig(model=model, precision="fp32", finetune_epochs=1, prune=0.5)),
        ("distilled", ExportConfig(model=model, precision="fp32", finetune_epochs=1, distill=4)),
    ):
        export_model(cfg, tmp_path / name, progress=True)
        assert "epoch 1/1" in capfd.readouterr().err, name

"""``bio discover SEQUENCES --control NEG`` trains the model it reads its motifs from: how well that model
learned (its held-out AUROC and AUPRC, the windows and epochs) is part of the result (``--json``
``trained_model``, the report and the table's caption), so that motifs read from a network that learned
nothing (20 peaks against 20) are not taken for motifs of the factor.

A filter is read as a motif here only where it fires at 0.7 of its maximum (``[extraction]`` in a
``--config`` file; the default 0.5 keeps all 50 filters of this barely trained model, and drawing their
100 logos in the two runs was most of the test's time): a few motifs still fill the report and table."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app


def test_discover_reports_the_held_out_figures_of_the_model_it_trained(peak_pair, tmp_path) -> None:
    pos, neg = peak_pair(20)
    out = tmp_path / "disc"
    config = tmp_path / "discover.toml"
    config.write_text("[extraction]\nactivation_fraction = 0.7\n")
    args = [
        "discover",
        str(pos),
        "--control",
        str(neg),
        "-o",
        str(out),
        "--jaspar",
        "CTCF,REST",
        "--epochs",
        "1",
        "--config",
        str(config),
    ]
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    found = json.loads(res.stdout)
    assert len(found["motifs"]) > 0  # motifs are still read, matched and drawn
    trained = found["trained_model"]  # before: no such key, the model's quality unknown
    model = json.loads((out / "model" / "bundle.json").read_text())
    assert trained["windows"] == 40 and trained["epochs"] == 1
    assert 0.0 <= trained["val"]["auroc"] <= 1.0 and set(trained["val"]) >= {"auroc", "auprc"}
    assert abs(trained["val"]["auroc"] - model["data"]["val"]["auroc"]) < 1e-4
    auroc = f"{trained['val']['auroc']:.3f}"
    assert f"held-out AUROC {auroc}" in (out / "report.md").read_text()
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.output
    assert f"held-out AUROC {auroc}" in " ".join(table.stdout.split())


def test_discover_shows_the_trainers_bar_while_it_trains(peak_pair, tmp_path, monkeypatch) -> None:
    """``bio discover SEQUENCES --control NEG`` trained silently (3,897 Oct4 against 3,900 Mafk peaks, 2 epochs:
    44 s with no bar): the CLI now asks for the trainer's bar as ``bio train`` does (on a terminal, not under
    ``--quiet``) and the pipeline hands it to the training step."""
    import io

    from rich.console import Console

    import carrousel.bio.pipeline as pipeline
    import carrousel.core.cli as core_cli
    from carrousel.bio.config import DiscoverConfig
    from carrousel.bio.errors import BioError

    asked: list[bool] = []

    def spy(*args: object, progress: bool = False, **kwargs: object) -> None:
        asked.append(progress)
        raise BioError("stop here")  # no training: the folder is left unwritten

    pos, neg = peak_pair(20)
    monkeypatch.setattr(pipeline, "discover", spy)
    for terminal, quiet in ((True, False), (True, True), (False, False)):
        monkeypatch.setattr(core_cli, "stderr", Console(file=io.StringIO(), force_terminal=terminal))
        args = ["discover", str(pos), "--control", str(neg), "-o", str(tmp_path / "d")]
        CliRunner().invoke(app, [*args, *(["-q"] if quiet else [])])
    assert asked == [True, False, False]
    monkeypatch.undo()
    monkeypatch.setattr(pipeline, "train", spy)  # the pipeline's training step gets the flag
    cfg = DiscoverConfig(sequences=str(pos), control=str(neg), collection="CTCF", epochs=1)
    for progress in (True, False):
        with pytest.raises(BioError, match="stop here"):
            pipeline.discover(cfg, tmp_path / "d", progress=progress)
    assert asked[3:] == [True, False] and not (tmp_path / "d").exists()

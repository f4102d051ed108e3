"""``bio discover SEQUENCES --control NEG`` trains the model it reads its motifs from: how well that model
learned (its held-out AUROC and AUPRC, the windows and epochs) is part of the result (``--json``
``trained_model``, the report and the table's caption), so that motifs read from a network that learned
nothing (20 peaks against 20) are not taken for motifs of the factor.

A filter is read as a motif here only where it fires at 0.7 of its maximum (``[extraction]`` in a
``--config`` file; the default 0.5 keeps all 50 filters of this barely trained model, and drawing their
100 logos in the two runs was most of the test's time): a few motifs still fill the report and table."""

from __future__ import annotations

import json

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

"""``finance train-global --members 2 --epochs 1`` reports 1 epoch (each member's), not 2 (the history holds
every member's epochs one after another, and its length was reported)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from tests.finance.test_finance_global import ar_panel


def test_epochs_are_counted_per_member(tmp_path: Path) -> None:
    ar_panel(2, 120).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text("[window]\nlookback = 10\nhorizon = 2\n[model]\nhidden_size = 4\n")
    base = ["train-global", "--data", str(tmp_path / "panel.csv"), "--config", str(tmp_path / "run.toml")]
    base += ["--members", "2", "--epochs", "1"]
    runner = CliRunner()
    done = runner.invoke(app, [*base, "--model-dir", str(tmp_path / "a"), "--json", "-q"])
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["epochs"] == 1 and doc["members"] == 2 and len(doc["history"]) == 2
    done = runner.invoke(app, [*base, "--model-dir", str(tmp_path / "b")])  # -q would print nothing
    assert done.exit_code == 0, done.output
    assert "182 training windows, 1 epoch(s) (each of 2 members)," in done.stdout


def test_members_histories_are_kept_apart_not_split_again_on_epoch_1(tmp_path: Path) -> None:
    """history_report cut the flattened history back into members wherever ``epoch == 1``: a member whose
    logs do not start there (a resumed run, an epoch-less log) was merged into the one before. The result now
    holds each member's history, and history.csv's ``member`` column follows it."""
    import csv
    from dataclasses import replace

    from carrousel.finance.config import ModelConfig, TrainSettings, WindowConfig
    from carrousel.finance.multiseries import history_report, train_global
    from tests.finance.test_finance_global import _cfg

    cfg = replace(
        _cfg(), window=WindowConfig(lookback=10, horizon=2), model=ModelConfig(hidden_size=4, members=2)
    )
    res = train_global(ar_panel(2, 120), replace(cfg, train=TrainSettings(epochs=2, patience=2)))
    assert [[int(r["epoch"]) for r in h] for h in res.histories] == [[1, 2], [1, 2]]
    assert res.history == [*res.histories[0], *res.histories[1]]  # the flat view, as before
    resumed = tuple([{**row, "epoch": row["epoch"] + 3} for row in h] for h in res.histories)  # epochs 4, 5
    history_report(replace(res, histories=resumed), plot=False)(tmp_path)
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert [(r["member"], r["epoch"]) for r in rows] == [("1", "4"), ("1", "5"), ("2", "4"), ("2", "5")]


def test_each_members_bar_names_the_member(capfd: pytest.CaptureFixture[str]) -> None:
    """``train-global --members 3`` (``cfg.train.progress``, on in a terminal) drew ``epoch 1/2`` three
    times, no member named; each bar now reads ``member i/3, epoch e/2``, and one network's plain ``epoch``."""
    from dataclasses import replace

    from carrousel.finance.config import ModelConfig, TrainSettings, WindowConfig
    from carrousel.finance.multiseries import train_global
    from tests.finance.test_finance_global import _cfg

    for members in (3, 1):
        cfg = replace(
            _cfg(),
            window=WindowConfig(lookback=10, horizon=2),
            model=ModelConfig(hidden_size=4, members=members),
            train=TrainSettings(epochs=2, patience=5, progress=True),
        )
        train_global(ar_panel(2, 120), cfg)
        bars = set(re.findall(r"(?:member \d/\d, )?epoch \d/\d", capfd.readouterr().err))
        if members == 1:
            assert bars == {"epoch 1/2", "epoch 2/2"}
        else:
            assert bars == {f"member {i}/3, epoch {e}/2" for i in (1, 2, 3) for e in (1, 2)}

"""``carrousel.core.curves``: a train command's per-epoch history as ``history.csv`` and a learning curve PNG,
written with the bundle (``Bundle.save(also=...)``). Before, no train command wrote either."""

from __future__ import annotations

import csv
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from carrousel.core import curves
from carrousel.core.bundle import load_bundle
from carrousel.core.curves import (
    can_plot,
    finite_history,
    history_csv,
    learning_curve,
    member_rows,
    write_history,
)
from carrousel.core.errors import BundleError, ConfigError
from tests.cli_harness import record_figures
from tests.core.test_bundle import make_bundle

pytest.importorskip("matplotlib")


def _history(n: int = 12) -> list[dict[str, float]]:
    rows = [
        {
            "epoch": float(i),
            "train_loss": 3.0 * 0.6**i,
            "val_loss": 3.2 * 0.7**i,
            "val_accuracy": 1 - 0.5 * 0.8**i,
            "lr": 1e-3 if i < 8 else 5e-4,
        }
        for i in range(1, n + 1)
    ]
    if n > 4:
        rows[4]["val_loss"] = math.nan  # a diverged validation pass: a gap, an empty cell
    return rows


def _lines(fig: Any) -> dict[str, Any]:
    axes = fig.axes
    return {
        "title": axes[0].get_title(),
        "scales": [ax.get_yscale() for ax in axes],
        "lines": {
            ln.get_label(): (list(ln.get_xdata()), list(ln.get_ydata())) for ax in axes for ln in ax.lines
        },
    }


def test_the_curve_draws_the_history_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    history = _history()
    drawn = record_figures(monkeypatch, curves, _lines)
    png = learning_curve(history, tmp_path / "training.png", "toy train: a GRU on toy.csv", "val_accuracy", 7)
    with Image.open(png) as img:
        assert img.format == "PNG" and img.size[0] > 600
    (fig,) = drawn
    epochs = [float(i) for i in range(1, 13)]
    lines = fig["lines"]
    assert lines["train loss"] == (epochs, [h["train_loss"] for h in history])
    xs, ys = lines["validation loss"]
    assert xs == epochs and math.isnan(ys[4]) and ys[:4] == [h["val_loss"] for h in history[:4]]
    assert lines["validation accuracy"] == (epochs, [h["val_accuracy"] for h in history])
    assert lines["learning rate"] == (epochs, [h["lr"] for h in history])  # it changed: a third panel
    assert lines["kept weights (epoch 7)"][0] == [7, 7]  # the kept epoch, named once
    assert fig["scales"] == ["log", "linear", "linear"]  # the loss spans a factor > 30; accuracy stays linear
    assert fig["title"] == "toy train: a GRU on toy.csv"


def test_a_constant_rate_and_no_metric_leave_one_panel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = [{"epoch": 1.0, "train_loss": 0.7, "lr": 0.01}, {"epoch": 2.0, "train_loss": 0.6, "lr": 0.01}]
    drawn = record_figures(monkeypatch, curves, _lines)
    learning_curve(history, tmp_path / "c.png", "t")
    assert len(drawn[0]["scales"]) == 1 and set(drawn[0]["lines"]) == {"train loss"}


def test_scores_share_one_linear_panel_in_place_of_the_monitored_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BLEU and chrF (0-100, from 0.5 to 40: a span a loss would get a log axis for) drawn together."""
    history = [
        {"epoch": float(i), "train_loss": 5.0 / i, "val_loss": 4.0 / i, "val_bleu": b, "val_chrf": c}
        for i, (b, c) in enumerate([(0.5, 9.0), (12.0, 30.0), (40.0, 61.0)], 1)
    ]
    drawn = record_figures(monkeypatch, curves, _lines)
    learning_curve(
        history, tmp_path / "c.png", "t", "val_loss", 3, scores=("val_bleu", "val_chrf", "val_ter")
    )
    (fig,) = drawn
    assert fig["lines"]["validation BLEU"][1] == [0.5, 12.0, 40.0]
    assert fig["lines"]["validation chrF"][1] == [9.0, 30.0, 61.0]
    assert len(fig["scales"]) == 2 and fig["scales"][1] == "linear"  # one panel, val_ter (absent) left out
    learning_curve(history, tmp_path / "d.png", "t", "val_loss", 3)  # without scores: curve_metric's one
    assert "validation chrF" not in drawn[1]["lines"] and "validation BLEU" in drawn[1]["lines"]


def test_history_csv_has_one_row_per_epoch_and_no_nonfinite_text() -> None:
    rows = list(csv.DictReader(history_csv(_history()).splitlines()))
    assert [r["epoch"] for r in rows] == [str(i) for i in range(1, 13)]
    assert rows[4]["val_loss"] == "" and float(rows[3]["val_loss"]) == pytest.approx(3.2 * 0.7**4)
    table = member_rows([_history(2), _history(3)])
    assert [(r["member"], r["epoch"]) for r in table] == [(1, 1), (1, 2), (2, 1), (2, 2), (2, 3)]
    assert next(csv.DictReader(history_csv(table).splitlines()))["member"] == "1"


def test_without_matplotlib_the_table_is_still_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)
    with caplog.at_level(logging.WARNING, "carrousel.core.plots"):  # can_draw's logger says it
        assert can_plot("carrousel-toy[plot]") is False
    (line,) = [r.getMessage() for r in caplog.records]
    assert "pip install 'carrousel-toy[plot]'" in line and "training.png is skipped" in line
    write_history(tmp_path, _history(), "t", plot=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]


def test_the_report_is_written_with_the_bundle_and_loads_old_and_new(tmp_path: Path) -> None:
    out = tmp_path / "m"
    make_bundle().save(out)  # an older folder: no report
    assert load_bundle(out, "test.regressor").kind == "test.regressor"
    report = lambda folder: write_history(folder, _history(), "t", plot=True)  # noqa: E731
    make_bundle().save(out, also=report)  # replaces the earlier bundle (its folder check still passes)
    assert {"history.csv", "training.png", "bundle.json"} <= {p.name for p in out.iterdir()}
    loaded = load_bundle(out, "test.regressor")
    assert loaded.files == make_bundle().files  # the report is no asset
    assert torch.isfinite(loaded.model(torch.zeros(1, 4, 3))).all()  # it still loads and predicts
    make_bundle().save(out, also=report)  # and a folder holding the report is still an earlier output

    def broken(folder: Path) -> None:
        (folder / "history.csv").write_text("partial")
        raise BundleError("the report failed")

    with pytest.raises(BundleError):
        make_bundle().save(tmp_path / "n", also=broken)
    assert not (tmp_path / "n").exists()  # all or nothing: no half folder


def test_a_figure_equal_to_the_validation_loss_is_not_drawn_twice() -> None:
    """finance's val_pinball is its val_loss: a second panel of the same line said nothing."""
    history = [
        {"epoch": float(i), "train_loss": 1.0 / i, "val_loss": 2.0 / i, "val_pinball": 2.0 / i}
        for i in (1, 2)
    ]
    assert curves.curve_metric(history, "val_loss") is None
    history[1]["val_pinball"] = 0.5
    assert curves.curve_metric(history, "val_loss") == "val_pinball"


def test_finite_history_keeps_non_finite_figures_out_of_json_outputs() -> None:
    # before: speech train's result and bundle provenance, and finance train-global's result, carried the
    # trainer's NaN (an epoch whose every step was skipped has no loss or grad norm) into JSON
    history = [
        {"epoch": 1, "train_loss": math.nan, "grad_norm": math.inf, "val_loss": 0.123456789, "lr": 1.2e-08},
        {"epoch": 2, "train_loss": 0.5, "grad_norm": 1.25, "val_loss": 0.1, "lr": 1.23456789e-05},
    ]
    rows = finite_history(history, digits=6)
    assert rows[0] == {"epoch": 1, "train_loss": None, "grad_norm": None, "val_loss": 0.123457, "lr": 1.2e-08}
    assert rows[1] == {"epoch": 2, "train_loss": 0.5, "grad_norm": 1.25, "val_loss": 0.1, "lr": 1.23457e-05}
    json.dumps(rows, allow_nan=False)  # strict JSON
    assert finite_history(history)[0]["val_loss"] == 0.123456789
    with pytest.raises(ConfigError):
        finite_history(history, digits=0)
    with pytest.raises(ConfigError):
        finite_history(history, digits=2.0)  # type: ignore[arg-type]


def test_finite_history_rounds_to_significant_digits_so_a_small_learning_rate_stays() -> None:
    """Rounded to 5 decimal places, speech train --json showed a learning rate of 1.2e-08 as 0.0 (history.csv
    kept it); significant digits keep every figure's first digits, large or small."""
    rows = finite_history([{"epoch": 3, "lr": 1.2e-08, "loss": 1234.56789, "grad_norm": 3e-12}], digits=6)
    assert rows == [{"epoch": 3, "lr": 1.2e-08, "loss": 1234.57, "grad_norm": 3e-12}]


def test_finite_history_writes_counts_as_the_integers_history_csv_writes() -> None:
    """The trainer logs ``epoch`` as a float: history.csv wrote 1, the JSON history (finance train-global
    --json, speech's provenance) 1.0."""
    history = [{"epoch": 1.0, "member": 2.0, "train_loss": 0.5, "lr": 1.0}]
    for rows in (finite_history(history), finite_history(history, digits=6)):
        assert json.dumps(rows) == '[{"epoch": 1, "member": 2, "train_loss": 0.5, "lr": 1.0}]'
    assert history_csv(history).splitlines()[1] == "1,2,0.5,1.0"

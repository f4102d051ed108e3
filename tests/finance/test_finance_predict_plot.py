"""``finance predict --plot``: a PNG grid of the first 12 series of the table (recent history, the forecast
median and its p10-p90 band), whose medians and bands are the ``--json`` forecasts; a bad path (here and for
``finance evaluate --plot``) is refused before any work, and a PNG on stdout shares it with neither ``--json``
nor ``--out -``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from carrousel.finance import predict_plot
from tests.cli_harness import Outcome, assert_clean_failure, record_figures, run_entry
from tests.finance.test_finance_global import ar_panel, saved_global_model

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ORDER = [13, 2, 7, 0, 11, 5, 9, 1, 12, 4, 8, 3, 10, 6]  # the table's series order: not sorted by id


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny global model over 14 series and their table, in an order of its own: (table, model folder)."""
    folder = tmp_path_factory.mktemp("predict_plot")
    df = ar_panel(14, 120, seed=3)
    df = pd.concat([df[df["unique_id"] == f"S{i:03d}"] for i in ORDER], ignore_index=True)
    return saved_global_model(folder, df)


def _drawn(fig: Any) -> dict[str, Any]:
    """Each panel's title and what its median line and its band hold at the forecast dates."""
    panels = []
    for ax in fig.get_axes():
        if not ax.get_visible():
            continue
        (median,) = [ln for ln in ax.get_lines() if ln.get_label() == "median forecast"]
        (band,) = [c for c in ax.collections if c.get_label() == "p10-p90"]
        xy, verts = median.get_xydata(), band.get_paths()[0].vertices
        at = [verts[np.isclose(verts[:, 0], x), 1] for x in xy[:, 0]]
        panels.append(
            {"title": ax.get_title(), "x": list(xy[1:, 0]), "p50": list(xy[1:, 1]),
             "p10": [float(v.min()) for v in at[1:]], "p90": [float(v.max()) for v in at[1:]]}
        )  # fmt: skip
    return {"panels": panels, "title": fig._suptitle.get_text()}


def test_predict_plot_draws_the_first_12_series_with_their_json_forecasts(
    saved: tuple[Path, Path], tmp_path: Path, invoke: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.dates import date2num

    table, model = saved
    drawn = record_figures(monkeypatch, predict_plot, _drawn)
    png = tmp_path / "charts" / "grid.png"
    res = invoke("finance", "predict", "--data", table, "--model-dir", model, "--json", "--plot", png)
    assert res.code == 0, res.stderr
    rows = json.loads(res.stdout)["rows"]  # --json is still strict JSON alone on stdout
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 20_000
    (fig,) = drawn
    first = [f"S{i:03d}" for i in ORDER[:12]]  # the table's first 12: 6 and 10 are left out
    assert [p["title"] for p in fig["panels"]] == first
    assert "12 of 14 series" in fig["title"] and "3-session forecasts" in fig["title"]
    for panel in fig["panels"]:
        mine = [r for r in rows if r["unique_id"] == panel["title"]]
        assert len(mine) == 3
        assert panel["x"] == [date2num(pd.Timestamp(r["ds"])) for r in mine]
        for q in ("p10", "p50", "p90"):
            assert panel[q] == pytest.approx([r[q] for r in mine], rel=1e-12), (panel["title"], q)
        assert all(
            lo < mid < hi for lo, mid, hi in zip(panel["p10"], panel["p50"], panel["p90"], strict=True)
        )

    few = tmp_path / "few.csv"  # three series: all drawn, a table on stdout naming the chart
    df = pd.read_csv(table)
    df[df["unique_id"].isin(first[:3])].to_csv(few, index=False)
    res = invoke("finance", "predict", "--data", few, "--model-dir", model, "--plot", tmp_path / "few.png")
    assert res.code == 0 and "forecast chart written to" in res.stdout, res.stderr
    assert [p["title"] for p in drawn[1]["panels"]] == first[:3] and "3 of 3 series" in drawn[1]["title"]


def test_predict_plot_to_stdout_is_the_png_alone(
    saved: tuple[Path, Path], tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    table, model = saved
    base = ["predict", "--data", str(table), "--model-dir", str(model), "--plot", "/dev/stdout"]
    code, out, err = run_entry(capfdbinary, "finance", *base, "-o", str(tmp_path / "pred.csv"))
    assert code == 0, err
    assert out.startswith(PNG_MAGIC) and out.rstrip().endswith(b"IEND\xaeB`\x82")  # nothing after it
    assert len(pd.read_csv(tmp_path / "pred.csv")) == 14 * 3  # the other outputs still written
    code, out, err = run_entry(capfdbinary, "finance", *base, "--json")
    assert code == 2 and out == b""
    assert b"'--plot': it names stdout, where --json prints; give one of them" in err
    code, out, err = run_entry(capfdbinary, "finance", *base, "-o", "-")
    assert (
        code == 2 and out == b"" and b"'--plot': it names stdout, where --out prints; give one of them" in err
    )


@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("chart.txt", "must end in .png"),
        ("file.txt/chart.png", "is a file"),
        ("/sys/a.png", "cannot create or write in /sys ("),  # before, as root: passed, failed after the work
    ],
)
def test_a_bad_plot_path_of_evaluate_or_predict_fails_before_any_work(
    tmp_path: Path, invoke: Callable[..., Outcome], command: str, name: str, message: str
) -> None:
    if name.startswith("/") and not Path(name).parent.is_dir():
        pytest.skip(f"no {Path(name).parent}")
    (tmp_path / "file.txt").write_text("x")
    missing = tmp_path / "no_such"  # never read: the path fails first
    inputs = [missing] if command == "evaluate" else ["--data", missing, "--model-dir", missing]
    out = invoke("finance", command, *inputs, "--plot", tmp_path / name)
    assert_clean_failure(out, 1, message)
    assert "--plot" in out.error_lines()[0]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="no /proc")
def test_predict_out_on_procfs_is_refused_before_any_work(
    tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    # before, as root: os.access passed /proc, so predict read and forecast, then failed to write
    missing = tmp_path / "no_such"  # never read: the path fails first
    out = invoke("finance", "predict", "--data", missing, "--model-dir", missing, "-o", "/proc/x.csv")
    assert_clean_failure(out, 1, "--out /proc/x.csv: cannot create or write in /proc (")


def test_predict_plot_on_the_out_path_is_refused_before_any_work(
    tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    # before: `--plot p.png -o p.png` was not checked against --out (the PNG and the table on one path)
    missing = tmp_path / "no_such"  # never read: the paths fail first
    same = tmp_path / "p.png"
    out = invoke("finance", "predict", "--data", missing, "--model-dir", missing, "--plot", same, "-o", same)
    assert_clean_failure(out, 2, "it is also --out's path")


def test_predict_json_lists_the_written_plot(
    saved: tuple[Path, Path], tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    """``finance predict --json`` gives ``"plots"`` as every command with ``--plot`` does (finance forecast,
    bio scan...): the PNG written, [] without ``--plot``. Before, the document did not say a chart was written."""
    table, model = saved
    png = tmp_path / "grid.png"
    plotted = invoke("finance", "predict", "--data", table, "--model-dir", model, "--json", "--plot", png)
    assert plotted.code == 0, plotted.stderr
    assert json.loads(plotted.stdout)["plots"] == [str(png)] and png.read_bytes()[:8] == PNG_MAGIC
    plain = invoke("finance", "predict", "--data", table, "--model-dir", model, "--json")
    assert plain.code == 0 and json.loads(plain.stdout)["plots"] == [], plain.stderr

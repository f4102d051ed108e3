"""``finance evaluate --plot``: a PNG of every run's models per horizon step (MAE, MASE, pinball, coverage with
the nominal line), whose lines hold the ``--per-step --json`` figures; a bad path is refused before any work,
and a PNG on stdout never shares it with ``--json``."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.finance import evaluate_plot
from tests.cli_harness import Outcome, record_figures, run_entry

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(
    folder: Path,
    network: str,
    tickers: list[str],
    shift: float,
    old_mase: bool = False,
    others: tuple[str, ...] = ("random_walk", "drift"),
) -> Path:
    """A saved run (run.json) of ``network``, its ACI variant and ``others`` (baselines) over three steps."""
    scores = []
    for j, model in enumerate([network, f"{network}_aci", *others]):
        per_step = [
            {"step": h, "mae": 1.0 + h * 0.5 + j * 0.1 + shift, "pinball": 0.6 + h * 0.2 + j * 0.05,
             "coverage": 0.7 + 0.05 * h - 0.01 * j, "mase": None if old_mase else 4.0 + h + j * 0.3 + shift,
             "winkler": 9.0, "crps": 1.2, "directional_accuracy": 0.5}
            for h in (1, 2, 3)
        ]  # fmt: skip
        scores.append(
            {"model": model, "rel_mae": 1.0, "mase": 1.0, "mape": 1.0, "directional_accuracy": 0.5,
             "coverage": 0.8, "nominal_coverage": 0.8, "dm_p": 0.5, "pinball": 1.0, "per_step": per_step}
        )  # fmt: skip
    backtest = {"first_date": "2012-01-03", "last_date": "2013-01-02", "verdict": "v", "scores": scores}
    folder.mkdir()
    (folder / "run.json").write_text(
        json.dumps({"tickers": tickers, "sample_data": True, "backtest": backtest})
    )
    return folder


@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    return [
        _run(tmp_path / "lstm", "lstm", ["AAPL"], 0.0),
        _run(tmp_path / "gru", "gru", ["AAPL"], 0.2, True),
    ]


def _drawn(fig: Any) -> dict[str, Any]:
    return {
        "panels": {
            ax.get_ylabel(): {
                ln.get_label(): (list(ln.get_xdata()), list(ln.get_ydata())) for ln in ax.get_lines()
            }
            for ax in fig.get_axes()
        },
        "legends": [t.get_text() for leg in fig.legends for t in leg.get_texts()],
        "title": fig._suptitle.get_text(),
    }


def test_evaluate_plot_lines_are_the_per_step_json_figures(
    runs: list[Path], tmp_path: Path, invoke: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = record_figures(monkeypatch, evaluate_plot, _drawn)
    png = tmp_path / "charts" / "steps.png"
    res = invoke("finance", "evaluate", *runs, "--per-step", "--json", "--plot", png)
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)  # --json is still strict JSON alone on stdout
    rows = doc["steps"]
    assert doc["plots"] == [str(png)]  # the chart written, the key of every --json (before: a bare list)
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 20_000
    (fig,) = drawn
    panels = fig["panels"]
    assert list(panels) == list(evaluate_plot.FIGURES.values())
    label = {str(runs[0]): "lstm", str(runs[1]): "gru"}
    for key, ylabel in evaluate_plot.FIGURES.items():
        lines = {k: v for k, v in panels[ylabel].items() if not k.startswith("_")}
        assert len(lines) == 8  # two runs x four models, one line each
        for r in rows:
            steps, values = lines[f"{label[r['run']]} {r['model']}"]
            got = values[steps.index(r["step"])]
            assert (math.isnan(got) and r[key] is None) or got == r[key], (key, r)
    assert any(r["mase"] is None for r in rows)  # the older run's missing MASE: a gap, never a number
    nominal = [v for k, v in panels[evaluate_plot.FIGURES["coverage"]].items() if k.startswith("_nominal")]
    assert [ys[0] for _, ys in nominal] == [0.8]
    legend = {"lstm", "gru", "network (lstm, gru)", "network_aci (lstm_aci, gru_aci)", "drift"}
    assert legend <= set(fig["legends"])
    assert fig["title"].startswith("AAPL (sample data): backtest figures per horizon step, 2 runs")

    table = invoke("finance", "evaluate", *runs, "--plot", tmp_path / "again.png")  # without --per-step too
    assert table.code == 0 and "per-step chart written to" in table.stdout and len(drawn) == 2
    assert repr(drawn[1]["panels"]) == repr(panels)  # the same lines (repr: NaN gaps compare equal)


def test_evaluate_plot_to_stdout_is_the_png_alone(
    runs: list[Path], capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, out, err = run_entry(capfdbinary, "finance", "evaluate", *runs, "--plot", "/dev/stdout")
    assert code == 0, err
    assert out.startswith(PNG_MAGIC) and out.rstrip().endswith(b"IEND\xaeB`\x82")  # nothing after it
    code, out, err = run_entry(capfdbinary, "finance", "evaluate", *runs, "--plot", "/dev/stdout", "--json")
    assert code == 2 and out == b""
    assert b"'--plot': it names stdout, where --json prints; give one of them" in err


def _lab(rgb: tuple[float, float, float]) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour (components 0..1)."""
    c = np.asarray(rgb, dtype=float)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))
    f = np.where(f > 6 / 29, f, (xyz / np.array([0.95047, 1.0, 1.08883])) / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_every_model_has_its_own_colour_and_the_network_shows_under_its_aci_line(
    tmp_path: Path, invoke: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: tab10 less red, then tab20's light shades: the 10th baseline (ensemble) light blue beside
    auto_arima's cyan, purple and pink at CIELAB distance 27.7, brown and grey 28.5; and the red ACI line
    (width 1.8) nearly covered the black network's (3.4) where their MAE and MASE are equal."""
    from matplotlib.colors import to_rgb

    def read(fig: Any) -> list[tuple[str, Any, float, float, float]]:
        return [
            (ln.get_label(), to_rgb(ln.get_color()), ln.get_linewidth(), ln.get_zorder(), ln.get_markersize())
            for ln in fig.get_axes()[0].get_lines()
        ]

    drawn = record_figures(monkeypatch, evaluate_plot, read)
    models = ("random_walk", "drift", "zero_return", "ewma", "garch", "arima", "auto_ets", "theta")
    run = _run(tmp_path / "lstm", "lstm", ["AAPL"], 0.0, others=(*models, "auto_arima", "ensemble"))
    res = invoke("finance", "evaluate", run, "--plot", tmp_path / "steps.png")
    assert res.code == 0, res.stderr
    lines = {label.removeprefix("lstm "): rest for label, *rest in drawn[0]}
    assert len(lines) == 12
    colours = {model: colour for model, (colour, *_) in lines.items()}
    assert colours["lstm"] == (0.0, 0.0, 0.0) and len(set(colours.values())) == 12
    near = min(
        (float(np.linalg.norm(_lab(colours[a]) - _lab(colours[b]))), a, b)
        for i, a in enumerate(colours)
        for b in list(colours)[i + 1 :]
    )
    assert near[0] >= 33, near  # CIELAB distance: no two models' lines alike (after: 36.2)
    (_, net_width, net_z, net_ms), (_, aci_width, aci_z, aci_ms) = lines["lstm"], lines["lstm_aci"]
    assert (
        aci_z > net_z and aci_width <= net_width / 2 and aci_ms < net_ms
    )  # thin on top: black at both sides

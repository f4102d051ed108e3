"""``finance evaluate --plot``: a PNG of every run's models per horizon step (MAE, MASE, pinball, coverage with
the nominal line), whose lines hold the ``--per-step --json`` figures; a bad path is refused before any work,
and a PNG on stdout never shares it with ``--json``."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.finance import evaluate_plot
from tests.cli_harness import Outcome, record_figures, run_entry

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(folder: Path, network: str, tickers: list[str], shift: float, old_mase: bool = False) -> Path:
    """A saved run (run.json) of ``network``, its ACI variant and two baselines over three steps."""
    scores = []
    for j, model in enumerate([network, f"{network}_aci", "random_walk", "drift"]):
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
    rows = json.loads(res.stdout)  # --json is still strict JSON alone on stdout
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

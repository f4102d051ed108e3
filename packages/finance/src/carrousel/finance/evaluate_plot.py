"""The chart of ``finance evaluate --plot``: every model's backtest figures per horizon step, runs compared.

Four panels share the horizon step as x axis: price MAE, MASE (the same scaled by the in-sample one-step
naive MAE), pinball loss (% log return) and the coverage of the outermost interval, with the runs'
nominal coverage as a dashed line. Each run's model is one line: the colour names the model (the runs'
networks share one colour, as they share a row of the ``--per-step`` table), the line style and marker
name the run; the network is drawn thick and on top, its ACI variant thin over it (so that where their
figures are equal, as their MAE and MASE are, the network's black shows at both sides of the red line),
and every baseline in a colour of its own. The figures are those of
:func:`carrousel.finance.runs.step_rows`, what ``finance evaluate --per-step --json`` prints.

matplotlib comes through :mod:`carrousel.core.plots` (the ``carrousel-finance[plot]`` extra), imported only
when the chart is drawn. :func:`step_lines` gives the lines drawn, so a test checks them without reading
pixels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from carrousel.core.plots import pyplot, save_png, wrap_to
from carrousel.finance.runs import read_run_rows

__all__ = [
    "FIGURES",
    "PLOT_EXTRA",
    "PLOT_PURPOSE",
    "run_labels",
    "step_figure",
    "step_lines",
    "step_png",
]

PLOT_EXTRA = "carrousel-finance[plot]"
PLOT_PURPOSE = "the per-step chart (finance evaluate --plot)"
FIGURES = {  # per-step figure -> the y label of its panel
    "mae": "price MAE",
    "mase": "MASE (MAE / in-sample naive MAE)",
    "pinball": "pinball loss (% log return)",
    "coverage": "coverage of the outermost interval",
}
_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v")]  # (line, marker)
# the networks on top, the ACI variant thin over the network's thick line, whose black stays seen at both
# sides where their figures are equal (the MAE and MASE of ACI are the network's): (line width, z order)
_WIDTHS = {"network": (3.4, 3), "network_aci": (1.1, 4)}
_NETWORK_COLOURS = {"network": "black", "network_aci": "tab:red"}
_MARKER_SIZES = {"network": 5.5, "network_aci": 3}  # the network's marker rims the ACI one's
# the baselines' colours, saturated (no pale tints, which look alike as thin lines: tab20's light blue
# beside tab10's cyan), each at CIELAB distance >= 36 from every other and from the networks' black and red
_BASELINE_COLOURS = (
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#9467bd",  # purple
    "#8c564b",  # brown
    "#f032e6",  # magenta
    "#bcbd22",  # olive
    "#17becf",  # cyan
    "#000075",  # navy
    "#1b5e20",  # dark green
    "#a9a9a9",  # grey
)


def _colours(groups: list[str]) -> dict[str, Any]:
    """A colour per model group: black and red for the networks, the baselines from
    ``_BASELINE_COLOURS`` in order (repeated past its 11 colours)."""
    baselines = [g for g in groups if g not in _NETWORK_COLOURS]
    out = {g: _BASELINE_COLOURS[i % len(_BASELINE_COLOURS)] for i, g in enumerate(baselines)}
    return out | {g: c for g, c in _NETWORK_COLOURS.items() if g in groups}


def run_labels(runs: list[Path]) -> tuple[list[str], list[str]]:
    """The runs (each once, in order) and their short labels: the folder names, or ``run1``, ``run2`` ...
    where two share a name (the labels of the ``--per-step`` table's columns).

    Returns:
        ``(names, labels)``: the runs as given (text) and one label each.
    """
    names = [str(r) for r in dict.fromkeys(str(run) for run in runs)]
    short = [Path(n).name or n for n in names]
    labels = short if len(set(short)) == len(short) else [f"run{i + 1}" for i in range(len(names))]
    return names, labels


def step_lines(rows: list[dict[str, Any]], runs: list[Path]) -> list[dict[str, Any]]:
    """The lines of the chart: one per run and model, in the order of ``rows``.

    Args:
        rows: :func:`carrousel.finance.runs.step_rows` of ``runs``.
        runs: the run folders, as given.

    Returns:
        One dict per line: ``run`` (as given), ``label`` (the run's short label, :func:`run_labels`),
        ``model``, ``group``, ``steps`` and, for each of :data:`FIGURES`, its values at those steps
        (NaN where the run did not record it).
    """
    names, labels = run_labels(runs)
    label_of = dict(zip(names, labels, strict=True))
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        line = lines.setdefault(
            (r["run"], r["model"]),
            {"run": r["run"], "label": label_of.get(r["run"], r["run"]), "model": r["model"]}
            | {"group": r["group"], "steps": []}
            | {k: [] for k in FIGURES},
        )
        line["steps"].append(r["step"])
        for k in FIGURES:
            line[k].append(math.nan if r[k] is None else float(r[k]))
    return list(lines.values())


def _about(runs: list[str]) -> tuple[str, list[float]]:
    """The series the runs forecast (``AAPL``, ``AAPL, MSFT (sample data)``; per run where they differ)
    and the runs' nominal coverages."""
    tickers: dict[str, str] = {}
    nominal: set[float] = set()
    for run in runs:
        rows = read_run_rows(Path(run))
        tickers[run] = rows[0]["tickers"] + (" (sample data)" if rows[0]["sample_data"] else "")
        nominal |= {float(r["nominal_coverage"]) for r in rows if r.get("nominal_coverage") is not None}
    if len(set(tickers.values())) == 1:
        return next(iter(tickers.values())), sorted(nominal)
    return "; ".join(f"{Path(r).name}: {t}" for r, t in tickers.items()), sorted(nominal)


def step_figure(rows: list[dict[str, Any]], runs: list[Path]) -> Any:
    """Four panels (MAE, MASE, pinball, coverage) of every run's models per horizon step.

    Args:
        rows: :func:`carrousel.finance.runs.step_rows` of ``runs``.
        runs: the run folders, as given.

    Returns:
        The matplotlib figure.

    Raises:
        MissingExtraError: matplotlib is not installed.
        RunFileError: a run file cannot be read again (for its tickers).
    """
    plt = pyplot(PLOT_EXTRA, PLOT_PURPOSE)
    lines = step_lines(rows, runs)
    names, labels = run_labels(runs)
    groups = list(dict.fromkeys(line["group"] for line in lines))
    colour = _colours(groups)
    style = {name: _STYLES[i % len(_STYLES)] for i, name in enumerate(names)}
    series, nominal = _about(names)
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True)
    for ax, (key, ylabel) in zip(axes.flat, FIGURES.items(), strict=True):
        for line in lines:
            ls, marker = style[line["run"]]
            lw, zorder = _WIDTHS.get(line["group"], (1.0, 2))
            ax.plot(
                line["steps"], line[key], label=f"{line['label']} {line['model']}", color=colour[line["group"]],
                ls=ls, marker=marker, ms=_MARKER_SIZES.get(line["group"], 3), lw=lw, zorder=zorder,
            )  # fmt: skip
        if key == "coverage":
            for level in nominal:
                ax.axhline(level, color="black", lw=1.0, ls="--", label=f"_nominal {level:g}")
                ax.annotate(f"nominal {level:g}", (0.01, level), xycoords=("axes fraction", "data"),
                            va="bottom", fontsize=8)  # fmt: skip
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    steps = sorted({s for line in lines for s in line["steps"]})
    for ax in axes[1]:
        ax.set_xlabel("horizon step (trading days ahead)")
        ax.set_xticks(steps)
    members = {g: list(dict.fromkeys(ln["model"] for ln in lines if ln["group"] == g)) for g in groups}
    model_handles = [
        plt.Line2D([], [], color=colour[g], lw=_WIDTHS.get(g, (1.2, 2))[0],
                   label=g if members[g] == [g] else f"{g} ({', '.join(members[g])})")
        for g in groups
    ]  # fmt: skip
    run_handles = [
        plt.Line2D([], [], color="black", ls=style[n][0], marker=style[n][1], label=lab)
        for n, lab in zip(names, labels, strict=True)
    ]
    right = fig.legend(handles=run_handles, title="run", loc="upper left", bbox_to_anchor=(1.0, 0.95),
                       fontsize=8, title_fontsize=9)  # fmt: skip
    fig.add_artist(right)
    fig.legend(handles=model_handles, title="model", loc="upper left", bbox_to_anchor=(1.0, 0.95 - 0.04 *
               (len(names) + 2)), fontsize=8, title_fontsize=9)  # fmt: skip
    title = f"{series}: backtest figures per horizon step, {len(names)} run{'s' * (len(names) > 1)}"
    fig.suptitle(wrap_to(title, 12, 12), fontsize=12)
    if labels != names:  # as the table's caption: which folder each label is
        note = "; ".join(f"{lab} = {n}" for lab, n in zip(labels, names, strict=True))
        fig.text(0.01, 0.0, wrap_to(note, 12, 8), fontsize=8, va="top")
    fig.tight_layout()
    return fig


def step_png(rows: list[dict[str, Any]], runs: list[Path], path: str | Path) -> Path:
    """Draws :func:`step_figure` and writes it as PNG (:func:`carrousel.core.plots.save_png`)."""
    return save_png(step_figure(rows, runs), path)

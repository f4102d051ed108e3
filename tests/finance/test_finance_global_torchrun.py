"""``finance train-global --holdout-days`` launched by torchrun on two CPU processes (gloo): after the
training's collective steps, the held-out baselines of the series are fitted on every rank, rank r of R
fitting series r, r + R, ..., gathered; rank zero scores and writes alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

import carrousel.core
import carrousel.finance
from tests.finance.conftest import STOCKS

# Runs the finance CLI with the held-out baseline fits recorded ("baselines SERIES", one file per rank:
# $CALLS.RANK). With UNSHARDED=1 every rank fits every series' baselines itself, none gathered: the
# reference, rank zero fitting and scoring them all as before.
WRAPPER = textwrap.dedent(
    """
    import os

    import carrousel.core.train.distributed as distributed

    if os.environ.get("UNSHARDED") == "1":  # before the modules that import it
        distributed.joined = distributed.DistEnv

    import carrousel.finance.multiseries as multiseries
    from carrousel.finance.__main__ import main

    real = multiseries.baseline_forecasts


    def counted(*args, **kwargs):
        with open(f"{os.environ['CALLS']}.{os.environ.get('RANK', '0')}", "a") as f:
            f.write(f"baselines {args[0].ticker}\\n")
        return real(*args, **kwargs)


    multiseries.baseline_forecasts = counted
    main()
    """
)

SERIES = ["AAPL", "MSFT", "AAPL_2007"]
TIMES = {
    "seconds",
    "created",
    "epoch_time",
    "samples_per_s",
}  # clock readings: differ between any two runs  # rank 0: AAPL and AAPL_2007, rank 1: MSFT


def _panel(path: Path) -> None:
    """The committed AAPL and MSFT closes (the last 300 days) and AAPL's first 250 as a third series."""
    df = pd.read_csv(STOCKS).rename(columns={"Ticker": "unique_id", "Date": "ds", "Adj Close": "y"})
    df = df[["unique_id", "ds", "y"]]
    parts = [df[df["unique_id"] == t].tail(300) for t in ("AAPL", "MSFT")]
    parts.append(df[df["unique_id"] == "AAPL"].head(250).assign(unique_id="AAPL_2007"))
    pd.concat(parts).to_csv(path, index=False)


def _env(calls: Path, **extra: str) -> dict[str, str]:
    """This process's environment for torchrun, importing the carrousel sources this test imports."""
    sources = [str(Path(m.__file__).parents[2]) for m in (carrousel.core, carrousel.finance)]  # type: ignore[arg-type]
    path = [*sources, *(os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(path), "CALLS": str(calls)}
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "UNSHARDED"):
        env.pop(key, None)
    return env | extra


def _launch(tmp_path: Path, name: str, **extra: str) -> subprocess.Popen[str]:
    """Starts ``finance train-global`` on two ranks, rank zero's outputs in ``tmp_path/name``."""
    folder = tmp_path / name
    folder.mkdir()
    args = ["train-global", "--data", str(tmp_path / "panel.csv"), "--model-dir", "m", "--holdout-days", "40",
            "--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8", "--members", "1", "--json"]  # fmt: skip
    launch = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    return subprocess.Popen(
        [sys.executable, *launch, str(tmp_path / "wrapper.py"), *args], env=_env(folder / "calls", **extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder,
    )  # fmt: skip


def _finish(proc: subprocess.Popen[str], folder: Path) -> list[list[str]]:
    """Waits for a launch; each rank's recorded fits, in call order (none: a rank that fitted none)."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    (folder / "out.json").write_text(out)
    files = [folder / f"calls.{rank}" for rank in range(2)]
    return [f.read_text().splitlines() if f.exists() else [] for f in files]


def _without_times(doc: dict[str, object]) -> dict[str, object]:
    """A JSON document without its clock readings (``seconds``, ``created``, each epoch's time and speed)."""
    out = {k: v for k, v in doc.items() if k not in TIMES}
    if isinstance(out.get("history"), list):
        out["history"] = [{k: v for k, v in h.items() if k not in TIMES} for h in out["history"]]
    return out


def test_train_global_under_torchrun_shares_the_held_out_baselines_out(tmp_path: Path) -> None:
    """Before: rank zero alone fitted every series' held-out baselines after the training (GARCH, ARIMA ...:
    seconds per series, minutes with hundreds) while the other ranks had exited. Now rank r fits series
    r, r + 2, ..., and rank zero's files equal those of rank zero fitting and scoring them all."""
    _panel(tmp_path / "panel.csv")
    (tmp_path / "wrapper.py").write_text(WRAPPER)
    now, before = tmp_path / "now", tmp_path / "before"
    runs = _launch(tmp_path, "now"), _launch(tmp_path, "before", UNSHARDED="1")  # side by side: ~2x faster
    calls, calls_before = _finish(runs[0], now), _finish(runs[1], before)
    assert calls == [["baselines AAPL", "baselines AAPL_2007"], ["baselines MSFT"]]
    assert calls_before == [[f"baselines {s}" for s in SERIES]] * 2  # each rank fitted them all itself
    doc = json.loads((now / "out.json").read_text())
    assert sorted(doc["holdout"]) == sorted(SERIES) and "garch" in doc["holdout"]["MSFT"]
    assert _without_times(doc) == _without_times(json.loads((before / "out.json").read_text()))
    files = sorted(p.name for p in (now / "m").iterdir())
    assert files == sorted(p.name for p in (before / "m").iterdir()) and "bundle.json" in files
    for name in files:
        if name.endswith(".json"):  # bundle.json, report.json (train-global's --json document): clocks aside
            bundles = [_without_times(json.loads((f / "m" / name).read_text())) for f in (now, before)]
            assert bundles[0] == bundles[1]
        elif name.endswith(".csv"):  # history.csv: each epoch's time and speed aside
            tables = [
                pd.read_csv(f / "m" / name).drop(columns=list(TIMES), errors="ignore") for f in (now, before)
            ]
            pd.testing.assert_frame_equal(tables[0], tables[1])
        else:
            assert (now / "m" / name).read_bytes() == (before / "m" / name).read_bytes(), name

"""``finance forecast`` and ``finance backtest`` launched by torchrun on two CPU processes (gloo): the
backtest's baselines and scores run on rank zero alone, after the last collective step (the network's
refits and final fit), so the other rank never waits at a collective while rank zero fits baselines."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import carrousel.core
import carrousel.finance
from tests.finance.conftest import STOCKS

# Runs the finance CLI with fit_at (the collective steps), baseline_forecasts and score_run recorded in
# call order, one file per rank ($CALLS.RANK); with EVERY_RANK=1, every rank computes the whole backtest
# (the reference).
WRAPPER = textwrap.dedent(
    """
    import os

    import carrousel.core.train.distributed as distributed
    import carrousel.finance.backtest as backtest
    import carrousel.finance.pipeline as pipeline
    from carrousel.finance.__main__ import main


    def counted(name, real):
        def call(*args, **kwargs):
            with open(f"{os.environ['CALLS']}.{os.environ['RANK']}", "a") as f:
                f.write(f"{name}\\n")
            return real(*args, **kwargs)

        return call


    backtest.fit_at = counted("fit", backtest.fit_at)
    pipeline.fit_at = counted("fit", pipeline.fit_at)
    backtest.baseline_forecasts = counted("baselines", backtest.baseline_forecasts)
    pipeline.score_run = counted("score", pipeline.score_run)
    if os.environ.get("EVERY_RANK") == "1":
        distributed.results_discarded = lambda: False
    main()
    """
)

ARGS = ["AAPL", "--csv", str(STOCKS), "--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8",
        "--members", "1", "--test-days", "20", "--refit-every", "10", "--json"]  # fmt: skip


def _env(calls: Path, every_rank: bool) -> dict[str, str]:
    """This process's environment for torchrun, importing the carrousel sources this test imports (a
    relative ``PYTHONPATH`` would not reach them from the run's folder)."""
    sources = [str(Path(m.__file__).parents[2]) for m in (carrousel.core, carrousel.finance)]  # type: ignore[arg-type]
    path = [*sources, *(os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(path), "CALLS": str(calls)}
    env["EVERY_RANK"] = "1" if every_rank else "0"
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _run(tmp_path: Path, name: str, args: list[str], every_rank: bool) -> tuple[Path, list[list[str]]]:
    """Rank zero's outputs in ``tmp_path/name`` and each rank's recorded calls, in call order."""
    folder = tmp_path / name
    folder.mkdir()
    (tmp_path / "wrapper.py").write_text(WRAPPER)
    calls = folder / "calls"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           str(tmp_path / "wrapper.py"), *args]  # fmt: skip
    proc = subprocess.run(
        cmd, env=_env(calls, every_rank), capture_output=True, text=True, timeout=300, cwd=folder
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (folder / "out.json").write_text(proc.stdout)
    return folder, [Path(f"{calls}.{rank}").read_text().splitlines() for rank in (0, 1)]


def test_forecast_under_torchrun_fits_the_baselines_after_the_last_collective(tmp_path: Path) -> None:
    """Before: rank zero fitted each block's baselines between that block's refit and the next (and scored
    before the final fit), while rank 1 waited at the next refit's collective: with hundreds of tickers,
    minutes per block, up to the process group's timeout. Now every refit and the final fit come first
    on both ranks, rank zero alone fits the baselines and scores after them, and its outputs are byte for
    byte those of every rank computing all."""
    args = ["forecast", *ARGS, "--out", "run", "--plot", "fan.png"]
    now, calls = _run(tmp_path, "now", args, every_rank=False)
    fits = ["fit", "fit", "fit"]  # two refits, then the final model
    assert calls == [[*fits, "baselines", "baselines", "score"], fits]  # one ticker, one scoreboard
    before, calls_before = _run(tmp_path, "before", args, every_rank=True)
    assert calls_before == [[*fits, "baselines", "baselines", "score"]] * 2
    for name in ("out.json", "fan.png", "run/run.json", "run/forecasts.csv", "run/model/model.safetensors"):
        assert (now / name).read_bytes() == (before / name).read_bytes(), name


def test_backtest_under_torchrun_fits_the_baselines_after_the_last_refit(tmp_path: Path) -> None:
    """Before: rank zero fitted block 1's baselines before block 2's refit, rank 1 waiting for it there."""
    _, calls = _run(tmp_path, "now", ["backtest", *ARGS, "--out", "run"], every_rank=False)
    assert calls == [["fit", "fit", "baselines", "baselines", "score"], ["fit", "fit"]]

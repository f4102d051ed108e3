"""``finance forecast`` launched by torchrun on two CPU processes (gloo): the backtest's baselines and
scores run on rank zero alone, the other rank takes part in the refits only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import carrousel.core
import carrousel.finance
from tests.finance.conftest import STOCKS

# Runs the finance CLI with baseline_forecasts and score_run counted per rank (one line each in $CALLS);
# with EVERY_RANK=1, every rank computes the whole backtest as all of them did before (the reference).
WRAPPER = textwrap.dedent(
    """
    import os

    import carrousel.finance.backtest as backtest
    import carrousel.finance.pipeline as pipeline
    from carrousel.finance.__main__ import main


    def counted(name, real):
        def call(*args, **kwargs):
            with open(os.environ["CALLS"], "a") as f:
                f.write(f"{name} {os.environ['RANK']}\\n")
            return real(*args, **kwargs)

        return call


    backtest.baseline_forecasts = counted("baselines", backtest.baseline_forecasts)
    pipeline.score_run = counted("score", pipeline.score_run)
    if os.environ.get("EVERY_RANK") == "1":
        pipeline.results_discarded = lambda: False
    main()
    """
)

ARGS = ["forecast", "AAPL", "--csv", str(STOCKS), "--horizon", "3", "--lookback", "10", "--epochs", "1",
        "--hidden", "8", "--members", "1", "--test-days", "20", "--refit-every", "10", "--json"]  # fmt: skip


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


def _forecast(tmp_path: Path, name: str, every_rank: bool) -> tuple[Path, list[str]]:
    """Rank zero's outputs in ``tmp_path/name`` and the counted calls (sorted)."""
    folder = tmp_path / name
    folder.mkdir()
    calls = folder / "calls.txt"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           str(tmp_path / "wrapper.py"), *ARGS, "--out", "run", "--plot", "fan.png"]  # fmt: skip
    proc = subprocess.run(
        cmd, env=_env(calls, every_rank), capture_output=True, text=True, timeout=150, cwd=folder
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (folder / "out.json").write_text(proc.stdout)
    return folder, sorted(calls.read_text().splitlines())


def test_forecast_under_torchrun_scores_the_backtest_once(tmp_path: Path) -> None:
    """Before: every rank fitted and ran every baseline (GARCH, EWMA, AutoETS, ...) at each of the two
    refits and scored the backtest, so that CPU work ran twice for rank zero's results alone. Now rank 1
    only joins the refits, and rank zero's outputs are byte for byte those of every rank computing all."""
    (tmp_path / "wrapper.py").write_text(WRAPPER)
    now, calls = _forecast(tmp_path, "now", every_rank=False)
    assert calls == ["baselines 0", "baselines 0", "score 0"]  # two refits, one ticker, one scoreboard
    before, calls_before = _forecast(tmp_path, "before", every_rank=True)
    assert calls_before == ["baselines 0", "baselines 0", "baselines 1", "baselines 1", "score 0", "score 1"]
    for name in ("out.json", "fan.png", "run/run.json", "run/forecasts.csv", "run/model/model.safetensors"):
        assert (now / name).read_bytes() == (before / name).read_bytes(), name

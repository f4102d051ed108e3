"""``finance forecast`` and ``finance backtest`` launched by torchrun on two CPU processes (gloo): the
backtest's baselines are fitted after the last collective step of the training (the network's refits and
final fit), shared out across the ranks and gathered; the scores and files are rank zero's alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import carrousel.core
import carrousel.finance
from carrousel.finance.baselines import BASELINES
from tests.finance.conftest import STOCKS

# Runs the finance CLI with fit_at (the collective steps), baseline_forecasts ("baselines TICKER ROW", ROW
# the last training row) and score_run recorded in call order, one file per rank ($CALLS.RANK). With
# EVERY_RANK=1 every rank computes the whole backtest; with UNSHARDED=1 every rank fits every baseline
# itself, none gathered (the reference: rank zero fitted them all before); FAIL=TICKER makes the baseline
# fits of that ticker raise.
WRAPPER = textwrap.dedent(
    """
    import os

    import numpy as np

    import carrousel.core.train.distributed as distributed
    import carrousel.finance.backtest as backtest
    import carrousel.finance.backtest_baselines as backtest_baselines
    import carrousel.finance.pipeline as pipeline
    import carrousel.finance.ranks as ranks
    from carrousel.finance.__main__ import main


    def counted(name, real):
        def call(*args, **kwargs):
            line = f"{name} {args[0].ticker} {args[1]}" if name == "baselines" else name
            with open(f"{os.environ['CALLS']}.{os.environ.get('RANK', '0')}", "a") as f:
                f.write(f"{line}\\n")
            if name == "baselines" and args[0].ticker == os.environ.get("FAIL"):
                raise np.linalg.LinAlgError("SVD did not\\nconverge")
            return real(*args, **kwargs)

        return call


    backtest.fit_at = counted("fit", backtest.fit_at)
    pipeline.fit_at = counted("fit", pipeline.fit_at)
    backtest_baselines.baseline_forecasts = counted("baselines", backtest_baselines.baseline_forecasts)
    pipeline.score_run = counted("score", pipeline.score_run)
    if os.environ.get("EVERY_RANK") == "1":
        distributed.results_discarded = lambda: False
    if os.environ.get("UNSHARDED") == "1":
        ranks.joined = distributed.DistEnv
    main()
    """
)

ARGS = ["AAPL", "--csv", str(STOCKS), "--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8",
        "--members", "1", "--test-days", "20", "--refit-every", "10", "--json"]  # fmt: skip


def _env(calls: Path, every_rank: bool, **extra: str) -> dict[str, str]:
    """This process's environment for torchrun, importing the carrousel sources this test imports (a
    relative ``PYTHONPATH`` would not reach them from the run's folder)."""
    sources = [str(Path(m.__file__).parents[2]) for m in (carrousel.core, carrousel.finance)]  # type: ignore[arg-type]
    path = [*sources, *(os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(path), "CALLS": str(calls)}
    env["EVERY_RANK"] = "1" if every_rank else "0"
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "UNSHARDED", "FAIL"):
        env.pop(key, None)
    return env | extra


def _run(
    tmp_path: Path, name: str, args: list[str], every_rank: bool, ranks: int = 2, rc: int = 0, **extra: str
) -> tuple[Path, list[list[str]]]:
    """Rank zero's outputs in ``tmp_path/name`` and each rank's recorded calls, in call order (``ranks`` 1:
    one process, no torchrun); ``rc`` the exit status expected (stderr in ``tmp_path/name/err``)."""
    folder = tmp_path / name
    folder.mkdir()
    (tmp_path / "wrapper.py").write_text(WRAPPER)
    calls = folder / "calls"
    launch = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(ranks)]
    cmd = [sys.executable, *(launch if ranks > 1 else []), str(tmp_path / "wrapper.py"), *args]
    proc = subprocess.run(
        cmd, env=_env(calls, every_rank, **extra), capture_output=True, text=True, timeout=300, cwd=folder
    )
    assert proc.returncode == rc, proc.stderr[-3000:]
    (folder / "out.json").write_text(proc.stdout)
    (folder / "err").write_text(proc.stderr)
    return folder, [Path(f"{calls}.{rank}").read_text().splitlines() for rank in range(ranks)]


def _names(calls: list[list[str]]) -> list[list[str]]:
    """The calls without their arguments."""
    return [[c.split()[0] for c in rank] for rank in calls]


def _baselines(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("baselines")]


def test_forecast_under_torchrun_fits_the_baselines_after_the_last_collective(tmp_path: Path) -> None:
    """Before: rank zero fitted each block's baselines between that block's refit and the next (and scored
    before the final fit), while rank 1 waited at the next refit's collective: with hundreds of tickers,
    minutes per block, up to the process group's timeout. Now every refit and the final fit come first
    on both ranks, then each rank fits the baselines of one of the two blocks, rank zero alone scores
    after them, and its outputs are byte for byte those of every rank computing all."""
    args = ["forecast", *ARGS, "--out", "run", "--plot", "fan.png"]
    now, calls = _run(tmp_path, "now", args, every_rank=False)
    fits = ["fit", "fit", "fit"]  # two refits, then the final model
    # one ticker: a block's baselines each, one scoreboard
    assert _names(calls) == [[*fits, "baselines", "score"], [*fits, "baselines"]]
    before, calls_before = _run(tmp_path, "before", args, every_rank=True)
    assert _names(calls_before) == [[*fits, "baselines", "score"]] * 2
    for name in ("out.json", "fan.png", "run/run.json", "run/forecasts.csv", "run/model/model.safetensors"):
        assert (now / name).read_bytes() == (before / name).read_bytes(), name


def _baseline_rows(folder: Path) -> list[str]:
    """The baselines' rows of a run's forecasts table."""
    lines = (folder / "run" / "forecasts.csv").read_text().splitlines()
    return [row for row in lines[1:] if row.split(",")[3] in BASELINES]


def test_backtest_under_torchrun_shares_the_baselines_out_across_the_ranks(tmp_path: Path) -> None:
    """Before: rank zero alone fitted the baselines of every ticker and block after the refits, the other
    rank idle (0.18-0.30 s per ticker and block: minutes per block with hundreds of tickers). Now rank r
    fits jobs r, r + 2, ... of the (block, ticker) jobs: MSFT's on rank 0, AAPL's on rank 1 here, and rank
    zero's files are byte for byte those of rank zero fitting them all, its baselines those of one process."""
    args = ["backtest", "MSFT", *ARGS, "--out", "run"]
    now, calls = _run(tmp_path, "now", args, every_rank=False)
    _, (single,) = _run(tmp_path, "single", args, every_rank=False, ranks=1)
    jobs = _baselines(single)  # block by block, MSFT then AAPL
    assert [j.split()[1] for j in jobs] == ["MSFT", "AAPL"] * 2
    assert calls == [["fit", "fit", *jobs[0::2], "score"], ["fit", "fit", *jobs[1::2]]]
    before, calls_before = _run(tmp_path, "before", args, every_rank=False, UNSHARDED="1")
    assert calls_before[0] == ["fit", "fit", *jobs, "score"]
    for name in ("out.json", "run/run.json", "run/forecasts.csv"):
        assert (now / name).read_bytes() == (before / name).read_bytes(), name
    # the baselines of one process (not the network: two ranks train on other batches)
    assert _baseline_rows(now) == _baseline_rows(tmp_path / "single")
    assert len(_baseline_rows(now)) == 2 * 20 * 3 * len(BASELINES)  # tickers x origins x steps x models


def test_backtest_under_torchrun_with_one_job_for_two_ranks(tmp_path: Path) -> None:
    """One ticker, one block: rank 1 has no baselines to fit, still meets rank zero at the gather and ends."""
    args = ["backtest", *ARGS, "--refit-every", "20", "--out", "run"]
    now, calls = _run(tmp_path, "now", args, every_rank=False)
    assert _names(calls) == [["fit", "baselines", "score"], ["fit"]]
    assert len(_baseline_rows(now)) == 20 * 3 * len(BASELINES)


def test_backtest_under_torchrun_reports_a_failed_baseline_fit_of_another_rank_once(tmp_path: Path) -> None:
    """A fit failing on rank 1 leaves no rank waiting at the gather: every rank exits 1 and the one error
    line, rank zero's, names the ticker, the block and the rank."""
    args = ["backtest", "MSFT", *ARGS, "--out", "run"]
    folder, calls = _run(tmp_path, "failed", args, every_rank=False, rc=1, FAIL="AAPL")
    assert _names(calls) == [["fit", "fit", "baselines", "baselines"], ["fit", "fit", "baselines"]]
    errors = [line for line in (folder / "err").read_text().splitlines() if line.startswith("error:")]
    assert len(errors) == 1, errors
    assert "the baselines of AAPL for the backtest block from 20" in errors[0]
    assert "failed on rank 1 (LinAlgError: SVD did not converge)" in errors[0]
    assert not (folder / "run").exists()

"""``benchmarks/bench_nlp_unseen.py --grid --pick``: a label the grid does not hold is a usage error at once.

The nlp README's command picked ``"... fb=0.6 (default)"`` after the default fallback moved to 0.8: the
grid ran for minutes and then stopped on a ``KeyError`` traceback. The label is checked before any work.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_nlp_unseen.py"


def test_unknown_pick_is_a_usage_error_before_the_model_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = runpy.run_path(str(SCRIPT))  # the functions only: the script's __main__ block does not run
    labels = [label for label, _ in bench["settings"]()]
    assert "mbr T=1 d=0.5 s=0 copy=0.25 fb=0.6" in labels  # what the README's command now picks
    missing = tmp_path / "no-model"  # never read: the label is refused first
    argv = ["bench_nlp_unseen.py", "--grid", "--model", str(missing), "--pairs", "x.tsv"]
    monkeypatch.setattr(sys, "argv", [*argv, "--pick", "mbr T=1 d=0.5 s=0 copy=0.25 fb=0.6 (default)"])
    with pytest.raises(SystemExit) as exc:
        bench["main"]()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--pick" in err and "fb=0.8 (default)" in err  # names the labels to choose from

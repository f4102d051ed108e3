"""bio's output options name stdout as core's one rule says (:func:`carrousel.core.cli_streams.names_stdout`).

On main ``bio scan -q -o /dev/null`` with stdout closed (``>&-``), and ``bio enrich``'s, took ``/dev/null`` (which holds the closed
descriptor) for stdout: the scan ran, then printed its hits there and failed, exit 1. ``--plot -`` asked for
a ``.png`` name (exit 1) instead of naming ``/dev/stdout``."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from tests.cli_harness import Outcome, assert_clean_failure, run_stdout_closed

_GENOME = ">a\nACGTACGTTTGCCACCAGGGGGCGCTAAACGT\n"  # one CTCF hit


def test_quiet_scan_into_dev_null_runs_with_stdout_closed(tmp_path: Path) -> None:
    (tmp_path / "g.fa").write_text(_GENOME)
    r, _ = run_stdout_closed(
        ["-m", "carrousel.bio", "scan", "g.fa", "-m", "CTCF", "-q", "-o", "/dev/null"], tmp_path
    )
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_quiet_enrich_into_dev_null_runs_with_stdout_closed(tmp_path: Path) -> None:
    rng = random.Random(1)
    with open(tmp_path / "t.fa", "w") as fh:  # 12 targets, each with a CTCF site
        for i in range(12):
            flank = ["".join(rng.choice("ACGT") for _ in range(60)) for _ in range(2)]
            fh.write(f">s{i}\n{flank[0]}TTGCCACCAGGGGGCGCTAA{flank[1]}\n")
    args = ["enrich", "t.fa", "-m", "CTCF", "-q", "-o", "/dev/null", "--no-progress"]
    r, _ = run_stdout_closed(["-m", "carrousel.bio", *args], tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_scan_plot_dash_is_a_usage_error(tmp_path: Path, invoke: Callable[..., Outcome]) -> None:
    (tmp_path / "g.fa").write_text(_GENOME)
    outcome = invoke("bio", "scan", tmp_path / "g.fa", "-m", "CTCF", "-o", tmp_path / "h.bed", "--plot", "-")
    assert_clean_failure(outcome, 2, "/dev/stdout")
    assert not (tmp_path / "h.bed").exists() and not Path("-").exists()


def test_scan_hits_on_stdout_by_every_name(tmp_path: Path, capfd: object) -> None:
    from tests.cli_harness import run_entry

    (tmp_path / "g.fa").write_text(_GENOME)
    outs = {name: run_entry(capfd, "bio", "scan", tmp_path / "g.fa", "-m", "CTCF", "-o", name)  # type: ignore[arg-type]
            for name in ("-", "/dev/stdout", "/dev/fd/1")}  # fmt: skip
    assert {code for code, _, _ in outs.values()} == {0}
    assert len({out for _, out, _ in outs.values()}) == 1 and "CTCF" in outs["-"][1]

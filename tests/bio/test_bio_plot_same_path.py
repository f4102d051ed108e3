"""``bio scan`` / ``bio enrich``: ``--plot`` on the path of ``--out`` is a usage error before any work.
Before, both were written to the one file (the PNG replaced the hits or the table, or the reverse) and the
command exited 0."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_harness import Outcome, assert_clean_failure


@pytest.mark.parametrize(
    "command",
    [
        ["scan", "{fa}", "-m", "CTCF", "--no-progress", "-f", "bed"],
        ["enrich", "{fa}", "-m", "CTCF", "--no-progress"],
    ],
    ids=["scan", "enrich"],
)
def test_plot_on_the_out_path_is_refused_before_any_work(
    tmp_path: Path,
    invoke: Callable[..., Outcome],
    write_fasta: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    fa = write_fasta(tmp_path / "g.fa", {f"s{i}": "ACGTTGCA" * 40 for i in range(4)})
    monkeypatch.chdir(tmp_path)
    args = [a.format(fa=fa) for a in command]
    out = invoke("bio", *args, "-o", "x.png", "--plot", str(tmp_path / "x.png"))
    assert_clean_failure(out, 2, "it is also --out's path")
    assert "'--plot'" in out.error_lines()[0]
    assert not (tmp_path / "x.png").exists()  # nothing written

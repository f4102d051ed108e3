"""``finance forecast --plot /dev/stdout``: the PNG is the only thing on stdout (before, the forecast and
backtest tables followed it on the same stream), and ``--json`` with it is a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_harness import run_entry
from tests.finance.test_cli import TINY


def _forecast(capfd: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, bytes]:
    """``finance forecast ARGS`` in this process; stdout and stderr are real descriptors (capfd's files)."""
    return run_entry(capfd, "finance", "forecast", *args)


@pytest.mark.usefixtures("sample_source")
def test_plot_to_stdout_prints_the_png_only(
    capfdbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    base = ["AAPL", "--source", "sample", *TINY, "--members", "1", "--out", str(tmp_path / "run"), "-q"]
    code, out, err = _forecast(capfdbinary, *base, "--plot", "/dev/stdout")
    assert code == 0, err
    assert out.startswith(b"\x89PNG\r\n\x1a\n") and out.rstrip().endswith(
        b"IEND\xaeB`\x82"
    )  # nothing after it
    assert b"forecast" not in out.lower() and err == b""


def test_plot_to_stdout_with_json_is_a_usage_error(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, err = _forecast(capfdbinary, "AAPL", "--source", "sample", "--plot", "/dev/stdout", "--json")
    assert code == 2 and out == b""
    assert b"'--plot': it names stdout, where --json prints; give one of them" in err

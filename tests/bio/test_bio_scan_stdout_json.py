"""``bio scan --out -`` (or ``/dev/stdout``) prints the hits on stdout, where ``--json`` prints too: both
together are a usage error naming ``--out``, before any work (the hits were dropped silently, exit 0)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_harness import Outcome, assert_clean_failure


@pytest.mark.parametrize("out", ["-", "/dev/stdout"])
def test_hits_on_stdout_beside_json_is_a_usage_error(
    tmp_path: Path, invoke: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, out: str
) -> None:
    from carrousel.bio import scan_run

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("scanned before --out was checked")

    monkeypatch.setattr(scan_run, "scan", no_work)
    (tmp_path / "g.fa").write_text(">a\nACGT\n")
    outcome = invoke("bio", "scan", tmp_path / "g.fa", "-m", "CTCF", "-o", out, "--json")
    assert_clean_failure(outcome, 2, "--json")
    assert "'--out'" in outcome.error_lines()[0]

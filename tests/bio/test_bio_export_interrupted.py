"""``bio export`` interrupted while it measures the new export (Ctrl-C, SIGTERM: exit 130) leaves the
earlier export in ``--out`` byte for byte (before: the new folder was swapped in first, then measured)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.bio.bundle import default_model_path
from carrousel.bio.cli import app
from tests.folder_swaps import interrupted_while_measured

pytest.importorskip("onnxruntime")


def test_an_export_interrupted_while_measured_keeps_the_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carrousel.bio.deploy as deploy

    out = tmp_path / "out"
    with interrupted_while_measured(monkeypatch, deploy, default_model_path(), out):
        res = CliRunner().invoke(app, ["export", "-o", str(out), "--precision", "fp32"])
        assert res.exit_code == 130, res.output

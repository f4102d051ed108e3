"""``speech export`` while another run replaces the source model: the exported bundle's provenance and
network come from one model (before: the network loaded, then the provenance read again by path from the
new folder and saved with the old network, without a word)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from carrousel.core.bundle import load_bundle
from carrousel.speech.cli import app
from carrousel.speech.recognizer import shipped_model_path
from tests.folder_swaps import swapped_in_by_another_run


def test_a_source_replaced_during_the_export_is_exported_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carrousel.speech.deploy as deploy

    source = tmp_path / "m"
    shutil.copytree(shipped_model_path(), source)
    old = load_bundle(source)
    with torch.no_grad():
        for p in old.model.parameters():
            p.mul_(0.5)
    new = replace(old, data={**old.data, "replaced": "by another run"}).save(tmp_path / ".new")
    real = deploy.read_manifest

    def replaced_first(folder: Path, kind: str | None = None) -> dict:  # type: ignore[type-arg]
        if new.exists():  # the other run's folder takes the old one's place
            swapped_in_by_another_run(new, source)
        return real(folder, kind)

    monkeypatch.setattr(deploy, "read_manifest", replaced_first)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["export", "--model", str(source), "-o", str(out), "--precision", "fp32"])
    assert res.exit_code == 0, res.output
    assert not new.exists()  # the folder was replaced during the export
    exported = load_bundle(out)
    first = next(exported.model.parameters()).flatten()[:4]
    saved = next(load_bundle(shipped_model_path()).model.parameters()).flatten()[:4]
    replaced = "replaced" in exported.data
    assert (replaced, torch.equal(first, saved)) in ((False, True), (True, False))  # one model, not a mix

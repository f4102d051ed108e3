"""Every option that writes a model FOLDER refuses, before any work, a model of another kind.

The folder is written as a whole (core ``atomic_dir`` replaces it), and a folder holding ``bundle.json``
passed for an earlier output of the same command. Before, ``nlp sentiment train --out model/`` replaced a
folder holding someone's trained bio model without a word (found by a fresh-install walk, session 41).
A model of the same kind is still replaced (``tests/hardening/test_train_out_folder.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.core.bundle import BUNDLE_FILE, Bundle
from carrousel.core.errors import BundleError, ConfigError
from carrousel.core.files import check_output_dir
from carrousel.core.text import with_article
from tests.cli_harness import Outcome, assert_clean_failure
from tests.hardening.test_output_folder_keeps_files import CASES as FOLDER_CASES
from tests.hardening.test_output_folder_keeps_files import FLAG, _record_work

# the commands whose folder is a model (a bundle); the others (run, corpus, metrics, motifs) hold none
CASES: dict[str, Callable[[Path], list[str | Path]]] = {
    k: v
    for k, v in FOLDER_CASES.items()
    if k.endswith(("-train", "-export", "train-global")) or k == "finance-forecast-model-dir"
}


def _foreign(case: str) -> str:
    domain = case.split("-")[0]
    return "bio.danq" if domain != "bio" else "nlp.sentiment"


def _someones_model(folder: Path, kind: str) -> dict[str, str]:
    """A folder holding a bundle of ``kind`` (manifest and weights), as file name -> content."""
    folder.mkdir()
    files = {BUNDLE_FILE: json.dumps({"format": "carrousel-bundle", "kind": kind}), "model.safetensors": "w"}
    for name, text in files.items():
        (folder / name).write_text(text)
    return files


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_model_of_another_kind_is_refused_and_kept(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    work = _record_work(monkeypatch)
    prog, *args = CASES[case](tmp_path)
    out = tmp_path / "someones-model"
    kind = _foreign(case)
    files = _someones_model(out, kind)
    monkeypatch.chdir(tmp_path)
    outcome = invoke(prog, *args, FLAG.get(case, "--out"), out)
    assert_clean_failure(outcome, 1, f"holds {with_article(kind)} model")  # "an nlp.sentiment"
    assert str(out) in outcome.stderr
    assert "give another folder, or remove that one first" in outcome.stderr
    assert work == [], f"work was done before the refusal: {work}"
    assert {p.name: p.read_text() for p in out.iterdir()} == files


def test_the_core_check_names_the_kind_held(tmp_path: Path) -> None:
    out = tmp_path / "m"
    _someones_model(out, "bio.danq")
    with pytest.raises(ConfigError, match=r"^--out .*m holds a bio.danq model, not an nlp.sentiment one"):
        check_output_dir(out, "--out", BUNDLE_FILE, kind="nlp.sentiment")
    assert check_output_dir(out, "--out", BUNDLE_FILE, kind="bio.danq") == out  # same kind: replaced later
    assert check_output_dir(out, "--out", BUNDLE_FILE) == out  # no kind given: as before
    (out / BUNDLE_FILE).write_text("{damaged")  # no kind to compare: refused (test_a_damaged_manifest_...)
    with pytest.raises(ConfigError, match=r"holds a bundle\.json that is damaged \(not JSON\)"):
        check_output_dir(out, "--out", BUNDLE_FILE, kind="nlp.sentiment")
    assert check_output_dir(out, "--out", BUNDLE_FILE) == out  # no kind given: the marker is enough


def test_bundle_save_refuses_a_model_of_another_kind(tmp_path: Path) -> None:
    """The check every writer shares, also for a Python caller's ``Bundle.save``."""
    from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

    model = SequenceRegressor(SequenceRegressorConfig(RecurrentConfig(2, 4)))
    out = tmp_path / "m"
    Bundle(kind="test.one", model=model).save(out)
    Bundle(kind="test.one", model=model).save(out)  # same kind: replaced
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(BundleError, match=r"holds a test\.one model, not a test\.two one"):
        Bundle(kind="test.two", model=model).save(out)
    assert sorted(p.name for p in out.iterdir()) == before
    assert json.loads((out / BUNDLE_FILE).read_text())["kind"] == "test.one"


DAMAGED = {  # what the manifest holds -> (its bytes, the damage named)
    "not JSON": (b"{damaged", "not JSON"),
    "not text": (b"\x89PNG\r\n", "not JSON"),
    "no kind": (json.dumps({"format": "carrousel-bundle", "files": {}}).encode(), "names no kind"),
    "not an object": (b"[1, 2]", "names no kind"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_damaged_manifest_is_refused_and_kept(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """A folder whose ``bundle.json`` is not JSON (or names no kind) was taken for an earlier output of the
    command and replaced: someone's files (another tool's ``bundle.json``, a half-copied model) gone without
    a word. A damaged manifest is no sign that the folder is ours: refused before any work, in one line
    naming the folder, the file and the fix, and left as it was."""
    work = _record_work(monkeypatch)
    prog, *args = CASES[case](tmp_path)
    out = tmp_path / "someones-folder"
    files = _someones_model(out, "unused")
    files[BUNDLE_FILE] = "{damaged"
    (out / BUNDLE_FILE).write_text(files[BUNDLE_FILE])
    monkeypatch.chdir(tmp_path)
    outcome = invoke(prog, *args, FLAG.get(case, "--out"), out)
    assert_clean_failure(outcome, 1, "holds a bundle.json that is damaged (not JSON)")
    assert str(out) in outcome.stderr
    assert "give another folder, or remove that one first" in outcome.stderr
    assert work == [], f"work was done before the refusal: {work}"
    assert {p.name: p.read_text() for p in out.iterdir()} == files


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_bundle_save_refuses_a_damaged_manifest(tmp_path: Path, damage: str) -> None:
    """``Bundle.save`` over a folder whose manifest names no kind replaced it; now refused, the folder kept."""
    from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

    model = SequenceRegressor(SequenceRegressorConfig(RecurrentConfig(2, 4)))
    out = tmp_path / "m"
    Bundle(kind="test.one", model=model).save(out)
    raw, why = DAMAGED[damage]
    (out / BUNDLE_FILE).write_bytes(raw)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(BundleError, match=rf"^.*m holds a bundle\.json that is damaged \({why}\), so it may"):
        Bundle(kind="test.one", model=model).save(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

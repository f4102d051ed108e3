"""The bundle format: exact round trips, and a clear BundleError for every kind of damage."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import carrousel.core
from carrousel.core.bundle import (
    ARRAYS_FILE,
    BUNDLE_FILE,
    BUNDLE_FORMAT_VERSION,
    WEIGHTS_FILE,
    Bundle,
    is_bundle,
    load_bundle,
    read_manifest,
)
from carrousel.core.errors import BundleError, CarrouselError, FormatVersionError
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig
from carrousel.core.provenance import carrousel_version, fix_or_upgrade, upgrade_hint

CFG = SequenceRegressorConfig(
    RecurrentConfig(3, 8, bidirectional=True), out_features=2, quantiles=(0.1, 0.5, 0.9)
)


def make_bundle(**kw: object) -> Bundle:
    torch.manual_seed(0)
    fields: dict = {
        "kind": "test.regressor",
        "model": SequenceRegressor(CFG),
        "assets": {"labels": ["up", "down"], "scaler": {"mean": [1.5, -2.0], "std": [0.5, 3.0]}},
        "arrays": {"null": np.linspace(-3, 3, 50), "counts": np.arange(6, dtype=np.int64).reshape(2, 3)},
        "files": {"vocab.txt": b"a\nb\nc\n", "motifs.jaspar": b">MA0001 X\nA [ 1 2 ]\n"},
        "data": {"train.csv": {"sha256": "ab" * 32, "rows": 10}},
    }
    fields.update(kw)
    return Bundle(**fields)  # type: ignore[arg-type]


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return make_bundle().save(tmp_path / "model")


def test_round_trip_is_exact(saved: Path) -> None:
    original = make_bundle()
    loaded = load_bundle(saved, kind="test.regressor")
    assert loaded.kind == "test.regressor"
    assert isinstance(loaded.model, SequenceRegressor) and loaded.model.config == CFG
    assert not loaded.model.training
    for key, value in original.model.state_dict().items():
        assert torch.equal(value, loaded.model.state_dict()[key]), key
    assert loaded.assets == original.assets
    assert set(loaded.arrays) == {"null", "counts"}
    np.testing.assert_array_equal(loaded.arrays["null"], original.arrays["null"])
    assert loaded.arrays["counts"].dtype == np.int64
    assert loaded.files == original.files
    assert loaded.data == original.data
    assert loaded.created == original.created or loaded.created
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        assert torch.equal(original.model.eval()(x), loaded.model(x))
    manifest = read_manifest(saved)
    assert manifest["format_version"] == BUNDLE_FORMAT_VERSION
    assert manifest["carrousel_version"] == loaded.carrousel_version
    assert set(manifest["files"]) == {WEIGHTS_FILE, ARRAYS_FILE, "assets/vocab.txt", "assets/motifs.jaspar"}


def test_no_pickle_anywhere(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading never unpickles: torch.load and pickle.loads are not called."""
    import pickle

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unpickling attempted")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    assert load_bundle(saved).kind == "test.regressor"
    assert {p.suffix for p in saved.iterdir() if p.is_file()} == {".json", ".safetensors"}


def test_files_get_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        folder = make_bundle().save(tmp_path / "m")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    for path in folder.rglob("*"):
        expected = 0o750 if path.is_dir() else 0o640
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_save_replaces_an_old_bundle_and_leaves_no_temp(saved: Path) -> None:
    make_bundle(assets={"labels": ["x"]}).save(saved)
    assert load_bundle(saved).assets == {"labels": ["x"]}
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model"]


def test_save_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BundleError, match=r"holds files but no bundle\.json.*give a new or empty folder"):
        make_bundle().save(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_failed_save_leaves_nothing(tmp_path: Path) -> None:
    model = make_bundle().model
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    with pytest.raises(BundleError, match="NaN"):
        make_bundle(model=model).save(tmp_path / "m")
    with pytest.raises(BundleError, match="NaN"):
        make_bundle(arrays={"null": np.array([np.inf])}).save(tmp_path / "m")
    with pytest.raises(BundleError, match="strict JSON"):
        make_bundle(assets={"x": float("nan")}).save(tmp_path / "m")
    with pytest.raises(BundleError, match="plain file name"):
        make_bundle(files={"../evil": b""}).save(tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def _manifest(folder: Path) -> dict:
    return json.loads((folder / BUNDLE_FILE).read_text())


def _write_manifest(folder: Path, doc: dict) -> None:
    (folder / BUNDLE_FILE).write_text(json.dumps(doc))


def _rehash(folder: Path, rel: str) -> None:
    import hashlib

    doc = _manifest(folder)
    blob = (folder / rel).read_bytes()
    doc["files"][rel] = {"bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    _write_manifest(folder, doc)


CORRUPTIONS = {
    "missing folder": (lambda f: f.rename(f.with_name("gone")), "not found"),
    "a file, not a folder": (
        lambda f: (__import__("shutil").rmtree(f), f.write_text("x")),
        "not a folder",
    ),
    "no manifest": (
        lambda f: (f / BUNDLE_FILE).unlink(),
        r"holds no bundle.json.*; point to the folder a train",
    ),
    "old layout": (
        lambda f: ((f / BUNDLE_FILE).unlink(), (f / "config.json").write_text("{}")),
        "older carrousel",
    ),
    "manifest not json": (lambda f: (f / BUNDLE_FILE).write_text("{nope"), "damaged"),
    "manifest binary": (lambda f: (f / BUNDLE_FILE).write_bytes(b"\xff\xfe\x00"), "damaged"),
    "manifest NaN": (
        lambda f: (f / BUNDLE_FILE).write_text((f / BUNDLE_FILE).read_text().replace("1.5", "NaN")),
        "damaged",
    ),
    "manifest overflow": (
        lambda f: (f / BUNDLE_FILE).write_text((f / BUNDLE_FILE).read_text().replace("1.5", "1e999")),
        "damaged",
    ),
    "manifest list": (lambda f: (f / BUNDLE_FILE).write_text("[]"), "not a carrousel bundle"),
    "other format": (lambda f: _write_manifest(f, {**_manifest(f), "format": "x"}), "not a carrousel"),
    "newer format": (
        lambda f: _write_manifest(f, {**_manifest(f), "format_version": BUNDLE_FORMAT_VERSION + 1}),
        "newer carrousel",
    ),
    "older format": (lambda f: _write_manifest(f, {**_manifest(f), "format_version": 0}), "no longer read"),
    "format as string": (
        lambda f: _write_manifest(f, {**_manifest(f), "format_version": "1"}),
        "format_version",
    ),
    "no config": (lambda f: _write_manifest(f, {**_manifest(f), "config": None}), "'config'"),
    "blank kind": (
        lambda f: _write_manifest(f, {**_manifest(f), "kind": " "}),
        r"damaged \(no valid 'kind'\)",
    ),
    "kind a path": (lambda f: _write_manifest(f, {**_manifest(f), "kind": "a/b"}), "no valid 'kind'"),
    "weights missing": (lambda f: (f / WEIGHTS_FILE).unlink(), "missing"),
    "asset missing": (lambda f: (f / "assets" / "vocab.txt").unlink(), "missing"),
    "weights truncated": (
        lambda f: (f / WEIGHTS_FILE).write_bytes((f / WEIGHTS_FILE).read_bytes()[:100]),
        "truncated",
    ),
    "asset tampered": (lambda f: (f / "assets" / "vocab.txt").write_bytes(b"a\nb\nX\n"), "checksum"),
    "weights garbage, rehashed": (
        lambda f: ((f / WEIGHTS_FILE).write_bytes(b"\x00" * 64), _rehash(f, WEIGHTS_FILE)),
        "damaged",
    ),
    "files escape the folder": (
        lambda f: _write_manifest(
            f, {**_manifest(f), "files": {**_manifest(f)["files"], "../x": {"bytes": 1, "sha256": ""}}}
        ),
        "unexpected file",
    ),
    "unknown module": (lambda f: _write_manifest(f, {**_manifest(f), "module": "nope"}), "nope"),
    "unknown config key": (
        lambda f: _write_manifest(f, {**_manifest(f), "config": {**_manifest(f)["config"], "zzz": 1}}),
        "invalid config",
    ),
    "bad config value": (
        lambda f: _write_manifest(
            f, {**_manifest(f), "config": {**_manifest(f)["config"], "out_features": 0}}
        ),
        "invalid config",
    ),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_every_corruption_is_one_clear_error(saved: Path, case: str) -> None:
    damage, message = CORRUPTIONS[case]
    damage(saved)
    with pytest.raises(CarrouselError, match=message) as info:
        load_bundle(saved)
    assert isinstance(info.value, BundleError | FormatVersionError)
    assert "\n" not in str(info.value)


def test_huge_config_is_refused_before_allocation(saved: Path) -> None:
    """A tampered hidden size of 10^4 (6 GB of weights) fails on the shape check, built on meta; 10^6
    (terabytes) is already refused by the config's own bound."""
    doc = _manifest(saved)
    doc["config"]["encoder"]["hidden_size"] = 10_000
    _write_manifest(saved, doc)
    with pytest.raises(BundleError, match="does not match the network"):
        load_bundle(saved)
    doc["config"]["encoder"]["hidden_size"] = 1_000_000
    _write_manifest(saved, doc)
    with pytest.raises(BundleError, match=r"invalid config.*limit"):
        load_bundle(saved)


def test_nan_weights_are_refused(saved: Path) -> None:
    tensors = load_file(str(saved / WEIGHTS_FILE))
    key = next(iter(tensors))
    tensors[key] = torch.full_like(tensors[key], float("nan"))
    save_file(tensors, str(saved / WEIGHTS_FILE))
    _rehash(saved, WEIGHTS_FILE)
    with pytest.raises(BundleError, match="NaN or infinite weights"):
        load_bundle(saved)


def test_wrong_kind(saved: Path) -> None:
    with pytest.raises(BundleError, match=r"holds a model of kind test\.regressor, not bio\.danq;"):
        load_bundle(saved, kind="bio.danq")
    assert load_bundle(saved, kind=("bio.danq", "test.regressor")).kind == "test.regressor"


def test_is_bundle(saved: Path, tmp_path: Path) -> None:
    assert is_bundle(saved)
    assert not is_bundle(tmp_path)


@pytest.mark.parametrize(("written", "newer"), [("99.0.0", True), ("0.0.1", False), ("?", False)])
def test_a_config_from_a_newer_carrousel_says_to_upgrade(saved: Path, written: str, newer: bool) -> None:
    """A bundle written by a newer carrousel whose config holds a field this version lacks said "invalid
    config ... train it again": retraining cannot help, the installed carrousel is too old. The manifest
    records the version that wrote it, so the error now names it and the upgrade (only when it is newer)."""
    doc = _manifest(saved)
    doc["config"]["a_field_of_the_future"] = 1
    _write_manifest(saved, {**doc, "carrousel_version": written})
    with pytest.raises(BundleError, match="a_field_of_the_future") as info:
        load_bundle(saved)
    message = str(info.value)
    if newer:
        assert "the bundle was written by carrousel 99.0.0, newer than this " in message
        assert message.endswith("upgrade carrousel (pip install -U carrousel-core)")  # kind "test.*"
    else:
        assert message.endswith("; train it again") and "upgrade" not in message


def test_the_upgrade_names_the_installed_domain_package() -> None:
    """The pip command names core and the domain package of the bundle's kind, when that one is installed."""
    speech = str(upgrade_hint({"carrousel_version": "99.0", "kind": "speech.ctc"}))
    assert speech.endswith("(pip install -U carrousel-core carrousel-speech)")
    other = str(upgrade_hint({"carrousel_version": "99.0", "kind": "nowhere.model"}))
    assert other.endswith("(pip install -U carrousel-core)")
    here = carrousel_version()
    assert here == carrousel.core.__version__  # one reading of the installed version, not one per call
    assert upgrade_hint({"carrousel_version": here, "kind": "speech.ctc"}) is None
    assert upgrade_hint({"carrousel_version": here + "rc1"}) is None  # same release
    assert upgrade_hint({"kind": "speech.ctc"}) is None  # unrecorded


def test_a_newer_bundle_format_gives_the_pip_command(saved: Path) -> None:
    """A bundle format newer than this carrousel's said only "upgrade carrousel"; it now gives the pip
    command upgrade_hint gives (core, and the domain package of the bundle's kind when installed)."""
    _write_manifest(saved, {**_manifest(saved), "format_version": 99, "carrousel_version": "99.0"})
    with pytest.raises(FormatVersionError) as info:
        load_bundle(saved)
    assert str(info.value).endswith(
        "bundle format 99); this one reads format "
        f"{BUNDLE_FORMAT_VERSION}: upgrade carrousel (pip install -U carrousel-core)"
    )
    _write_manifest(saved, {**_manifest(saved), "kind": "speech.ctc"})
    with pytest.raises(FormatVersionError, match=r"\(pip install -U carrousel-core carrousel-speech\)$"):
        load_bundle(saved)


def test_fix_or_upgrade_reads_a_manifest_or_a_loaded_bundle(saved: Path) -> None:
    """The one phrase every domain loader ends an asset error with: its own fix, or the upgrade when a newer
    carrousel wrote the bundle."""
    bundle = load_bundle(saved)
    assert fix_or_upgrade(bundle) == "train it again"
    assert fix_or_upgrade(bundle, "train the model again") == "train the model again"
    newer = fix_or_upgrade({"carrousel_version": "99.0", "kind": "speech.ctc"}, "train the model again")
    assert newer == str(upgrade_hint({"carrousel_version": "99.0", "kind": "speech.ctc"}))
    assert newer.endswith(
        "newer than this " + carrousel_version() + ": upgrade carrousel "
        "(pip install -U carrousel-core carrousel-speech)"
    )


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("", r"^a bundle kind must not be blank, got ''; name what the bundle is, e\.g\. kind='finance"),
        ("   ", r"^a bundle kind must not be blank, got '   '"),
        (" test.x", r"^bundle kind ' test\.x' is not a plain name \(spaces around it"),
        ("test/x", r"^bundle kind 'test/x' is not a plain name"),
        ("test\\x", r"^bundle kind 'test\\\\x' is not a plain name"),
        ("../x", r"^bundle kind '\.\./x' is not a plain name"),
        ("test\nx", r"^bundle kind 'test\\nx' is not a plain name"),
        (None, r"^a bundle kind must be a str, got NoneType"),
    ],
)
def test_a_kind_that_names_nothing_is_refused_when_built(tmp_path: Path, kind: object, needle: str) -> None:
    """``Bundle(kind="")`` (blanks, a path, a newline) was accepted and saved: a model no command names
    and ``load_bundle(kind=...)`` never matches. Now one BundleError line when the Bundle is built,
    before anything is written; a plain kind still saves and loads."""
    with pytest.raises(BundleError, match=needle) as info:
        make_bundle(kind=kind)
    assert "\n" not in str(info.value)
    assert load_bundle(make_bundle(kind="test.x").save(tmp_path / "m"), kind="test.x").kind == "test.x"

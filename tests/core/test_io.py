"""Atomic writes and pickle-free save/load: exact round trips and clear errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from carrousel.core.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from carrousel.core.errors import CarrouselError, CheckpointError, ConfigError, FormatVersionError
from carrousel.core.io import CONFIG_FILE, FORMAT_VERSION, WEIGHTS_FILE, load_module, read_config, save_module
from carrousel.core.nn import (
    RecurrentConfig,
    RecurrentEncoder,
    SequenceClassifier,
    SequenceClassifierConfig,
    SequenceRegressor,
    SequenceRegressorConfig,
)

LENGTHS = torch.tensor([5, 3, 1])

ENCODERS = {
    "bilstm_proj": RecurrentConfig(3, 8, num_layers=2, bidirectional=True, proj_size=4),
    "gru_residual": RecurrentConfig(3, 6, cell="gru", num_layers=3, residual=True),
    "ln_lstm_loop": RecurrentConfig(3, 6, cell="ln_lstm", bidirectional=True, zoneout=0.1),
    "peephole": RecurrentConfig(3, 6, cell="peephole_lstm", recurrent_dropout=0.2),
    "rnn_relu": RecurrentConfig(3, 6, cell="rnn_relu", init="pytorch"),
}


def _build(name: str) -> torch.nn.Module:
    if name in ENCODERS:
        return RecurrentEncoder(ENCODERS[name])
    enc = RecurrentConfig(3, 6, cell="lstm", bidirectional=True)
    if name == "classifier_attention":
        return SequenceClassifier(
            SequenceClassifierConfig(enc, num_classes=3, pooling="attention", dropout=0.2)
        )
    quantiles = SequenceRegressorConfig(enc, out_features=4, quantiles=(0.1, 0.5, 0.9), pooling="mean")
    return SequenceRegressor(quantiles)


def _out(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    y = model(x, LENGTHS)
    return y.output if isinstance(model, RecurrentEncoder) else y


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A saved bidirectional classifier."""
    cfg = SequenceClassifierConfig(RecurrentConfig(3, 6, bidirectional=True), num_classes=2)
    return save_module(SequenceClassifier(cfg), tmp_path / "model", extra={"labels": ["neg", "pos"]})


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("name", [*ENCODERS, "classifier_attention", "regressor_quantiles"])
def test_round_trip_gives_identical_outputs(name: str, tmp_path: Path, device: torch.device) -> None:
    model = _build(name).to(device).eval()
    x = torch.randn(3, 5, 3, device=device)
    before = _out(model, x)
    save_module(model, tmp_path / name)
    loaded = load_module(tmp_path / name, map_location=device).eval()
    assert type(loaded) is type(model) and loaded.config == model.config  # type: ignore[attr-defined]
    assert all(p.device.type == device.type for p in loaded.parameters())
    assert torch.equal(_out(loaded, x), before)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_saved_files_are_json_and_safetensors(saved: Path) -> None:
    doc = json.loads((saved / CONFIG_FILE).read_text())
    assert doc["format"] == "carrousel" and doc["format_version"] == FORMAT_VERSION
    assert doc["module"] == "sequence_classifier"
    assert doc["config"]["encoder"]["bidirectional"] is True
    assert read_config(saved)["extra"] == {"labels": ["neg", "pos"]}
    tensors = load_file(str(saved / WEIGHTS_FILE))
    assert "head.linear.weight" in tensors


def test_loading_never_unpickles(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pickle(*args: object, **kwargs: object) -> None:
        raise AssertionError("torch.load must not be used")

    monkeypatch.setattr(torch, "load", no_pickle)
    assert isinstance(load_module(saved), SequenceClassifier)


def test_saving_again_overwrites(saved: Path) -> None:
    cfg = SequenceClassifierConfig(RecurrentConfig(3, 4, cell="gru"), num_classes=5)
    save_module(SequenceClassifier(cfg), saved)
    assert load_module(saved).config == cfg  # type: ignore[attr-defined]
    assert sorted(p.name for p in saved.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]


# ------------------------------------------------------------------ bad files


def _edit_config(folder: Path, **changes: object) -> None:
    doc = json.loads((folder / CONFIG_FILE).read_text())
    doc.update(changes)
    (folder / CONFIG_FILE).write_text(json.dumps(doc))


def test_damaged_config_json(saved: Path) -> None:
    (saved / CONFIG_FILE).write_text('{"format": "carrousel", "format_vers')
    with pytest.raises(CheckpointError, match=r"config.json is damaged.*save"):
        load_module(saved)
    (saved / CONFIG_FILE).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CheckpointError, match="damaged"):
        load_module(saved)


def test_config_json_of_something_else(saved: Path) -> None:
    (saved / CONFIG_FILE).write_text('{"name": "bert"}')
    with pytest.raises(CheckpointError, match="not a carrousel model config"):
        load_module(saved)


def test_config_json_without_module_or_config(saved: Path) -> None:
    _edit_config(saved, module=None)
    with pytest.raises(CheckpointError, match="damaged"):
        load_module(saved)


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 0, None])
def test_wrong_format_version(saved: Path, version: int | None) -> None:
    _edit_config(saved, format_version=version)
    with pytest.raises(FormatVersionError, match=f"format version {version}.*reads version {FORMAT_VERSION}"):
        load_module(saved)


def test_unknown_module_name_and_invalid_config(saved: Path) -> None:
    _edit_config(saved, module="no_such_model")
    with pytest.raises(CheckpointError, match=r"no_such_model.*import the package"):
        load_module(saved)
    doc = json.loads((saved / CONFIG_FILE).read_text())
    doc["module"] = "sequence_classifier"
    doc["config"]["num_classes"] = -1
    (saved / CONFIG_FILE).write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=r"invalid config.*num_classes"):
        load_module(saved)


def test_missing_files(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        load_module(tmp_path / "nowhere")
    (saved / WEIGHTS_FILE).unlink()
    with pytest.raises(CheckpointError, match=r"model.safetensors not found.*incomplete"):
        load_module(saved)


@pytest.mark.parametrize("keep", [0, 7, 0.5, -3])
def test_truncated_weights(saved: Path, keep: float) -> None:
    weights = saved / WEIGHTS_FILE
    data = weights.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep
    weights.write_bytes(data[:cut])
    with pytest.raises(CheckpointError, match=r"damaged.*save again"):
        load_module(saved)


def test_weights_that_do_not_fit_the_config(saved: Path) -> None:
    doc = json.loads((saved / CONFIG_FILE).read_text())
    doc["config"]["encoder"]["hidden_size"] = 7
    (saved / CONFIG_FILE).write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="does not match"):
        load_module(saved)
    doc["config"]["encoder"]["hidden_size"] = 6
    doc["config"]["pooling"] = "attention"  # expects parameters the file lacks
    (saved / CONFIG_FILE).write_text(json.dumps(doc))
    with pytest.raises(
        CheckpointError, match=r": missing 'pooling\.attention\.proj\.bias', [^;]*; save the model again"
    ):
        load_module(saved)


def test_saving_unregistered_or_configless_modules(tmp_path: Path) -> None:
    with pytest.raises(CarrouselError, match="not a registered module"):
        save_module(torch.nn.Linear(2, 2), tmp_path / "linear")
    enc = RecurrentEncoder(RecurrentConfig(2, 3))
    del enc.config
    with pytest.raises(CheckpointError, match=r"no \.config"):
        save_module(enc, tmp_path / "enc")


def test_registering_a_module_without_config_class_is_refused_at_once(tmp_path: Path) -> None:
    """A user's module registered without ``config_class`` used to save (``save_module``, ``Bundle.save``)
    and then never load again ("Net lacks config_class"): the decorator now refuses it in one line naming
    the fix, and a class with it registers, saves and loads as the README's example does."""
    from dataclasses import dataclass

    from carrousel.core.errors import RegistryError
    from carrousel.core.io import register_module

    @dataclass(frozen=True)
    class NetConfig:
        size: int = 3

    class Net(torch.nn.Module):
        def __init__(self, config: NetConfig) -> None:
            super().__init__()
            self.config = config
            self.linear = torch.nn.Linear(config.size, 2)

    with pytest.raises(RegistryError, match=r"config_class = NetConfig|config_class"):
        register_module("test.io.no_config_class")(Net)
    with pytest.raises(RegistryError, match="dataclass"):
        register_module("test.io.bad_config_class")(type("Bad", (Net,), {"config_class": dict}))
    good = register_module("test.io.with_config_class")(type("Good", (Net,), {"config_class": NetConfig}))
    model = good(NetConfig(size=4))
    loaded = load_module(save_module(model, tmp_path / "good"))
    assert isinstance(loaded, good) and loaded.config == NetConfig(size=4)


def test_map_location_that_is_not_available(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="CUDA is not available"):
        load_module(saved, map_location="cuda")


# ------------------------------------------------------------------ atomic writes


def test_atomic_write_leaves_old_file_intact_when_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    atomic_write_text(target, "old content")
    with pytest.raises(RuntimeError, match="disk on fire"), atomic_path(target) as tmp:
        with open(tmp, "w") as fh:
            fh.write("half of the new con")
            fh.flush()
        raise RuntimeError("disk on fire")
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"], "the temp file must be removed"


def test_atomic_writes_create_folders_and_replace(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.bin"
    atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    atomic_write_text(target, "héllo")
    assert target.read_text(encoding="utf-8") == "héllo"
    assert [p.name for p in target.parent.iterdir()] == ["out.bin"]


def test_failed_save_keeps_the_previous_model(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = load_module(saved).state_dict()

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr("carrousel.core.io.atomic_write_bytes", crash)  # the weights file
    cfg = SequenceClassifierConfig(RecurrentConfig(3, 6, bidirectional=True), num_classes=2)
    with pytest.raises(OSError, match="no space"):
        save_module(SequenceClassifier(cfg), saved)
    after = load_module(saved).state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert sorted(p.name for p in saved.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]


def test_a_fresh_process_loads_with_the_io_module_alone(saved: Path) -> None:
    """Core's own modules resolve by name without importing ``carrousel.core.nn`` first (the registry's
    providers), as they did when ``import carrousel.core`` imported the blocks eagerly."""
    import subprocess
    import sys

    code = (
        "import sys; from carrousel.core.io import load_module\n"
        f"m = load_module({str(saved)!r}); print(type(m).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == type(load_module(saved)).__name__


def test_non_finite_extra_data_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    cfg = SequenceClassifierConfig(RecurrentConfig(3, 6), num_classes=2)
    with pytest.raises(CheckpointError, match="holds NaN or inf"):
        save_module(SequenceClassifier(cfg), tmp_path / "m", extra={"scale": float("nan")})
    assert not (tmp_path / "m").exists()  # no half-saved folder

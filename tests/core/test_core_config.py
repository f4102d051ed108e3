"""Config helpers: dict/JSON/TOML round trips of nested frozen dataclasses and clear errors."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from carrousel.core.config import dotted_fields, from_dict, load_toml, overlay, override, read_toml, to_dict
from carrousel.core.errors import ConfigError
from carrousel.core.nn import RecurrentConfig, SequenceClassifierConfig, SequenceRegressorConfig


@dataclass(frozen=True)
class _Train:
    lr: float = 1e-3  # learning rate
    epochs: int = 2  # passes over the data
    betas: tuple[float, float] = (0.9, 0.999)  # Adam betas
    milestones: tuple[int, ...] = ()  # epochs where the rate drops


@dataclass(frozen=True)
class _Run:
    model: SequenceRegressorConfig  # what to train
    train: _Train = field(default_factory=_Train)  # how to train it
    name: str = "run"  # run name
    seed: int | None = None  # random seed, None = random
    fallback: _Train | None = None  # optional second training recipe


RUN = _Run(
    model=SequenceRegressorConfig(
        RecurrentConfig(5, 16, cell="gru", num_layers=2, bidirectional=True),
        out_features=3,
        quantiles=(0.1, 0.5, 0.9),
        pooling="attention",
    ),
    train=_Train(lr=0.01, milestones=(3, 6)),
    seed=7,
    fallback=_Train(epochs=9),
)


def test_to_dict_is_plain_json_and_round_trips() -> None:
    d = to_dict(RUN)
    assert d["model"]["encoder"]["cell"] == "gru"
    assert d["model"]["quantiles"] == [0.1, 0.5, 0.9] and d["train"]["betas"] == [0.9, 0.999]
    back = from_dict(_Run, json.loads(json.dumps(d)))
    assert back == RUN
    assert isinstance(back.train.milestones, tuple) and isinstance(back.fallback, _Train)


@pytest.mark.parametrize(
    "cfg",
    [
        RecurrentConfig(3, 4),
        RecurrentConfig(3, 8, cell="lstm", proj_size=2, zoneout=0.1, backend="loop"),
        SequenceClassifierConfig(RecurrentConfig(1, 2), num_classes=4, num_embeddings=20),
    ],
)
def test_round_trip_of_core_configs(cfg: object) -> None:
    assert from_dict(type(cfg), to_dict(cfg)) == cfg


def test_load_toml_with_nested_tables(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(
        """
name = "demo"
seed = 7

[model]
out_features = 3
quantiles = [0.1, 0.5, 0.9]
pooling = "attention"

[model.encoder]
input_size = 5
hidden_size = 16
cell = "gru"
num_layers = 2
bidirectional = true

[train]
lr = 0.01
milestones = [3, 6]

[fallback]
epochs = 9
"""
    )
    assert load_toml(path, _Run) == dataclasses.replace(RUN, name="demo")


def test_ints_become_floats_where_a_float_is_declared() -> None:
    cfg = from_dict(_Train, {"lr": 1})
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float)


def test_unknown_keys_are_rejected_with_the_valid_names() -> None:
    with pytest.raises(ConfigError, match=r"unknown option\(s\) hiden_size; valid: .*hidden_size"):
        from_dict(RecurrentConfig, {"input_size": 3, "hiden_size": 4})
    nested = to_dict(RUN)
    nested["model"]["encoder"]["layers"] = 3
    with pytest.raises(ConfigError, match=r"RecurrentConfig: unknown option\(s\) layers"):
        from_dict(_Run, nested)


def test_invalid_or_missing_values_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="hidden_size"):
        from_dict(RecurrentConfig, {"input_size": 3})  # missing required field
    with pytest.raises(ConfigError, match="unknown cell"):
        from_dict(RecurrentConfig, {"input_size": 3, "hidden_size": 4, "cell": "transformer"})
    with pytest.raises(ConfigError, match="expected a table"):
        from_dict(_Run, {"model": 3, "train": [1]})
    with pytest.raises(ConfigError, match="expected a dataclass"):
        to_dict({"a": 1})


def test_load_toml_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_toml(tmp_path / "missing.toml", _Train)
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(bad, _Train)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("lr = 0.1\nepoch = 3\n")
    with pytest.raises(ConfigError, match="epoch"):
        load_toml(unknown, _Train)


def test_load_toml_reads_a_byte_order_mark_as_no_part_of_the_file(tmp_path: Path) -> None:
    # Windows Notepad's "UTF-8 with BOM", CRLF lines; on main: "not valid TOML (Invalid statement (at line 1,
    # column 1))" for a file that looks valid in every editor
    (path := tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbflr = 0.5\r\nepochs = 4\r\n")
    cfg = load_toml(path, _Train)
    assert cfg.lr == 0.5 and cfg.epochs == 4


def test_override() -> None:
    cfg = override(RUN.train, lr=0.5)
    assert cfg.lr == 0.5 and cfg.epochs == RUN.train.epochs and RUN.train.lr == 0.01
    with pytest.raises(ConfigError, match="learning_rate"):
        override(RUN.train, learning_rate=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        RUN.train.lr = 3.0  # type: ignore[misc]


@dataclass(frozen=True)
class _Typed:
    size: int = 1  # an int
    name: str = "x"  # a string
    flag: bool = False  # a bool
    rate: float | None = None  # optional float
    precision: Literal["fp32", "bf16"] = "fp32"  # one of two names
    pair: tuple[float, float] = (0.0, 1.0)  # exactly two floats


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"size": "16"}, r"_Typed.size: expected int, got '16'"),
        ({"size": 2.5}, r"expected int"),
        ({"size": True}, r"expected int"),
        ({"name": 3}, r"_Typed.name: expected str"),
        ({"flag": "yes"}, r"expected bool"),
        ({"rate": "fast"}, r"_Typed.rate: expected float"),
        ({"precision": "fp8"}, r"'fp8' is not one of 'fp32', 'bf16'"),
        ({"pair": [1.0]}, r"expected 2 values, got 1"),
        ({"pair": "ab"}, r"expected a list"),
    ],
)
def test_values_of_the_wrong_type_are_config_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(_Typed, data)


def test_typed_values_are_coerced() -> None:
    cfg = from_dict(_Typed, {"size": 3, "rate": 2, "pair": [1, 2], "precision": "bf16", "flag": True})
    assert cfg == _Typed(size=3, rate=2.0, pair=(1.0, 2.0), precision="bf16", flag=True)
    assert isinstance(cfg.rate, float) and all(isinstance(v, float) for v in cfg.pair)
    assert from_dict(_Typed, {"rate": None}).rate is None


@dataclass(frozen=True)
class _Job:
    train: _Train = field(default_factory=_Train)  # how to train
    name: str = "run"  # run name
    seed: int | None = None  # random seed
    fallback: _Train | None = None  # optional second recipe


def test_overlay_sets_only_what_the_file_sets_and_keeps_the_given_flags(tmp_path: Path) -> None:
    toml = tmp_path / "job.toml"
    toml.write_text('name = "file"\nseed = 3\n[train]\nepochs = 9\nbetas = [0.8, 0.9]\n')
    base = _Job(train=_Train(lr=0.5, epochs=4), name="flags", seed=1)  # a command's own defaults
    out = overlay(base, read_toml(toml))
    assert out == _Job(train=_Train(lr=0.5, epochs=9, betas=(0.8, 0.9)), name="file", seed=3)
    kept = overlay(base, read_toml(toml), keep={"seed", "train.epochs"})  # flags given on the command line
    assert kept == _Job(train=_Train(lr=0.5, epochs=4, betas=(0.8, 0.9)), name="file", seed=1)
    assert overlay(base, {}) == base
    assert overlay(base, {"fallback": {"epochs": 5}}).fallback == _Train(epochs=5)  # a part the base lacks


def test_overlay_checks_the_file_alone_and_the_merged_config() -> None:
    with pytest.raises(ConfigError, match="rate"):
        overlay(_Job(), {"train": {"rate": 1.0}})
    with pytest.raises(ConfigError):
        overlay(_Job(), {"train": {"epochs": "many"}})


class _StudentError(ConfigError):
    """A config's own error class, kept through overlay."""


@dataclass(frozen=True)
class _Export:
    student: int = 0  # student units (0: none)
    filters: int = 0  # the student's filters (needs student)

    def __post_init__(self) -> None:
        if self.filters and not self.student:
            raise _StudentError("filters needs student")


def test_overlay_checks_across_fields_on_the_merged_config_only(tmp_path: Path) -> None:
    """A file's 'filters = 4' with the flags' student (kept) is one valid config: before, overlay built the
    file alone first (_Export(filters=4)) and refused it. Refused merged, the config's own error (its
    class kept) leads with the file's name."""
    toml = tmp_path / "c.toml"
    toml.write_text("filters = 4\n")
    assert overlay(_Export(student=8), read_toml(toml), keep={"student"}) == _Export(student=8, filters=4)
    with pytest.raises(_StudentError, match=f"^{re.escape(str(toml))}: filters needs student$"):
        overlay(_Export(), read_toml(toml))
    with pytest.raises(_StudentError, match=r"^filters needs student$"):  # no file named: as it was
        overlay(_Export(), {"filters": 4})


def test_dotted_fields_name_each_setting_of_a_file_by_its_table(tmp_path: Path) -> None:
    """A file's tables as the dotted fields the checks across options read (``"fit.epochs"``), each value as
    the file wrote it; a table inside a table gives a longer name, a top-level value its own key, an empty
    table nothing."""
    path = tmp_path / "run.toml"
    path.write_text(
        'name = "toy"\n[train]\nepochs = 3\nbetas = [0.8, 0.9]\n[model]\n[model.head]\nsize = 4\n[empty]\n'
    )
    assert dotted_fields(read_toml(path)) == {
        "name": "toy",
        "train.epochs": 3,
        "train.betas": [0.8, 0.9],
        "model.head.size": 4,
    }
    assert dotted_fields({}) == {}

"""One ``--device`` in every CLI and one device-name check in every config (core's ``check_device`` and
``cli_device``): the same help, the same names (cpu, cuda, cuda:N, mps, auto), a wrong one a usage error
(exit 2) everywhere, a device the machine lacks one ``error:`` line from ``pick_device`` (exit 1).

Before: finance and bio declared ``--device`` as a cpu | cuda | auto enum, so ``--device cuda:1`` and
``--device mps`` were refused there (and ``FitConfig(device="mps")`` raised) while nlp and speech took them;
nlp and speech took ``--device nonsense`` to the run (exit 1), and their configs took any string.
"""

from __future__ import annotations

import dataclasses
import math
import struct
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from carrousel.core.cli_device import DEVICE_HELP
from carrousel.core.config import from_dict, to_dict
from carrousel.core.errors import ConfigError
from tests.cli_harness import Outcome, assert_clean_failure
from tests.config_kinds import config_classes, minimal
from tests.test_cli_conventions import COMMANDS, _data_error_cases, _params

CHOICES = "use cpu, cuda, cuda:N, mps or auto"
DEVICE_COMMANDS = [
    c for c in COMMANDS if any("--device" in getattr(p, "opts", ()) for p in _params(c[0], tuple(c[1:])))
]
DEVICE_CONFIGS = [
    cls
    for package in ("core", "finance", "bio", "nlp", "speech")
    for cls in config_classes(package)
    if "device" in {f.name for f in dataclasses.fields(cls)}
]


def test_every_device_option_is_cores_one() -> None:
    assert {c[0] for c in DEVICE_COMMANDS} == {"finance", "bio", "nlp", "speech"}
    assert {("bio", "scan"), ("finance", "backtest"), ("nlp", "sentiment", "train")} <= set(DEVICE_COMMANDS)
    for prog, *path in DEVICE_COMMANDS:
        (param,) = [p for p in _params(prog, tuple(path)) if "--device" in getattr(p, "opts", ())]
        assert param.help.startswith(DEVICE_HELP), (prog, path, param.help)  # type: ignore[attr-defined]
        assert param.metavar == "DEVICE", (prog, path)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", DEVICE_COMMANDS, ids=" ".join)
def test_a_wrong_device_is_a_usage_error(
    invoke: Callable[..., Outcome], tmp_path: Path, command: tuple[str, ...]
) -> None:
    args = _data_error_cases(tmp_path)[command]
    out = invoke(*command, *args, "--device", "nonsense")
    assert_clean_failure(out, 2, f"unknown device 'nonsense'; {CHOICES}")


def _silence(path: Path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(100 * math.sin(i / 9))) for i in range(16000)))
    return path


@pytest.mark.skipif(torch.cuda.is_available(), reason="the message of a machine without CUDA")
def test_a_missing_gpu_is_one_line_in_every_program(invoke: Callable[..., Outcome], tmp_path: Path) -> None:
    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + "ACGTTGCA" * 400 + "\n")
    stocks = Path(__file__).parent / "finance" / "data" / "stocks_2007_2010.csv.gz"
    runs = [
        ("bio", "scan", genome, "--method", "model"),
        ("finance", "backtest", "AAPL", "--csv", stocks, "--epochs", "1", "--hidden", "4", "--lookback", "10",
         "--horizon", "2", "--test-days", "40", "--refit-every", "40"),
        ("nlp", "sentiment", "predict", "a text"),
        ("speech", "transcribe", _silence(tmp_path / "a.wav")),
    ]  # fmt: skip
    for run in runs:
        out = invoke(*run, "--device", "cuda:1")
        assert_clean_failure(out, 1)
        assert out.error_lines() == [
            "error: device 'cuda:1' requested but CUDA is not available; use --device cpu"
        ], run


@pytest.mark.parametrize("cls", DEVICE_CONFIGS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_device_config_takes_every_device_name(cls: type) -> None:
    base = minimal(cls, {})
    for name in ("cpu", "cuda", "cuda:0", "cuda:12", "mps", "auto"):
        cfg = cls(**base, device=name)
        assert type(cfg.device) is str and cfg.device == name  # type: ignore[attr-defined]
        assert from_dict(cls, to_dict(cfg)) == cfg  # saved configs (run.json, bundles) read back
    for bad in ("nonsense", "gpu", "cuda:", "cuda:x", "CPU", " cpu"):
        with pytest.raises(ConfigError) as caught:
            cls(**base, device=bad)
        assert str(caught.value) == f"unknown device {bad!r}; {CHOICES}"


def test_the_configs_checked_include_finance_and_bio() -> None:
    names = {f"{c.__module__}.{c.__name__}" for c in DEVICE_CONFIGS}
    assert {
        "carrousel.finance.config.TrainSettings",
        "carrousel.bio.config.ScanConfig",
        "carrousel.bio.config.FitConfig",
        "carrousel.bio.config.EvaluateConfig",
        "carrousel.core.train.config.TrainConfig",
    } <= names

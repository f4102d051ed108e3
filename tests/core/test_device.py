"""Device selection, moving nested batches, and autocast precision."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from carrousel.core.device import autocast, check_precision, move_to, pick_device, resolve_dtype
from carrousel.core.errors import ConfigError


class _Pair(NamedTuple):
    x: torch.Tensor
    lengths: torch.Tensor


@dataclass(frozen=True)
class _Batch:
    inputs: torch.Tensor
    pair: _Pair
    name: str


def test_pick_device_explicit_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device("auto") == torch.device("cpu")
    assert pick_device(None) == torch.device("cpu")


def test_auto_prefers_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto") == torch.device("cuda")


def test_unavailable_or_unknown_devices_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    for name in ("cuda", "cuda:1"):
        with pytest.raises(ConfigError, match=r"CUDA is not available; use device='cpu'"):
            pick_device(name)
    with pytest.raises(ConfigError, match="MPS is not available"):
        pick_device("mps")
    with pytest.raises(ConfigError, match="unknown device 'gpu0'"):
        pick_device("gpu0")


def _nested(device: torch.device) -> dict[str, object]:
    t = torch.arange(6.0, device=device).view(2, 3)
    return {
        "batch": _Batch(t, _Pair(t + 1, torch.tensor([3, 2], device=device)), "train"),
        "list": [t, (t * 2, "keep"), 7],
        "tuple": (t,),
        "none": None,
    }


@pytest.mark.parametrize("target", ["meta", "same"])
def test_move_to_nested_structures(device: torch.device, target: str) -> None:
    """Every tensor moves (``meta`` is a second device on any machine); everything else is kept."""
    dest = torch.device("meta") if target == "meta" else device
    moved = move_to(_nested(device), dest)
    assert set(moved) == {"batch", "list", "tuple", "none"}
    batch = moved["batch"]
    assert isinstance(batch, _Batch) and batch.name == "train"
    assert isinstance(batch.pair, _Pair)
    tensors = [batch.inputs, batch.pair.x, batch.pair.lengths, moved["list"][0], moved["list"][1][0]]
    tensors.append(moved["tuple"][0])
    assert all(t.device.type == dest.type for t in tensors)
    assert isinstance(moved["list"], list) and isinstance(moved["list"][1], tuple)
    assert moved["list"][1][1] == "keep" and moved["list"][2] == 7 and moved["none"] is None
    assert batch.pair.lengths.dtype == torch.long
    if target == "same":
        assert torch.equal(batch.pair.x, torch.arange(1.0, 7.0, device=device).view(2, 3))


def test_move_to_cuda_when_present() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    moved = move_to({"x": torch.ones(3).pin_memory()}, torch.device("cuda"))
    torch.cuda.synchronize()
    assert moved["x"].is_cuda and torch.equal(moved["x"].cpu(), torch.ones(3))


def test_precision() -> None:
    cpu = torch.device("cpu")
    assert resolve_dtype("fp32", cpu) is None
    assert resolve_dtype("bf16", cpu) is torch.bfloat16
    assert resolve_dtype("fp16", cpu) is torch.bfloat16  # CPU's reduced precision is bf16
    assert resolve_dtype("fp16", torch.device("cuda")) is torch.float16
    with pytest.raises(ConfigError, match="unknown precision"):
        resolve_dtype("fp8", cpu)  # type: ignore[arg-type]
    a, b = torch.randn(4, 8), torch.randn(8, 2)
    with autocast(cpu, "fp32"):
        assert (a @ b).dtype == torch.float32
    with autocast(cpu, "bf16"):
        assert (a @ b).dtype == torch.bfloat16


def test_move_to_packed_sequences_and_mapping_types() -> None:
    meta = torch.device("meta")
    packed = pack_padded_sequence(torch.randn(2, 3, 1), torch.tensor([3, 2]), batch_first=True)
    moved = move_to({"packed": packed}, meta)["packed"]
    assert isinstance(moved, PackedSequence) and moved.data.device.type == "meta"
    assert moved.batch_sizes.device.type == "cpu"  # PyTorch requires the batch sizes on the CPU
    counts: defaultdict[str, list[torch.Tensor]] = defaultdict(list)
    counts["a"].append(torch.ones(1))
    out = move_to(counts, meta)
    assert isinstance(out, defaultdict) and out.default_factory is list
    assert out["a"][0].device.type == "meta" and counts["a"][0].device.type == "cpu", "input untouched"
    ordered = move_to(OrderedDict(b=torch.ones(1), a=torch.zeros(1)), meta)
    assert isinstance(ordered, OrderedDict) and list(ordered) == ["b", "a"]
    assert move_to(torch.Size([2, 3]), meta) == torch.Size([2, 3])


def test_check_precision_refuses_what_the_device_cannot_run_before_any_work() -> None:
    """A train command's ``--precision`` check: fp32 and bf16 pass on the CPU (``auto`` resolved there
    without CUDA); fp16 on the CPU and unknown names are one-line errors naming the fix."""
    check_precision("fp32", "cpu")
    check_precision("bf16", torch.device("cpu"))
    with pytest.raises(
        ConfigError, match="fp16' needs a CUDA or MPS device; on the CPU use precision='bf16'"
    ):
        check_precision("fp16", "cpu")
    with pytest.raises(ConfigError, match="unknown precision 'fp8'"):
        check_precision("fp8", "cpu")
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        with pytest.raises(ConfigError, match="fp16' needs a CUDA"):
            check_precision("fp16", "auto")


def test_check_precision_warns_where_the_cpu_emulates_bf16(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """bf16 on an x86 CPU without AVX512-BF16 or AMX is allowed, with one warning naming the fix; a CPU with
    either, fp32, and a machine that is not x86 say nothing."""
    import platform

    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    for avx512_bf16, amx, warned in ((False, False, True), (True, False, False), (False, True, False)):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda v=avx512_bf16: v, raising=False)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda v=amx: v, raising=False)
        caplog.clear()
        with caplog.at_level("WARNING", logger="carrousel.core.device"):
            check_precision("bf16", "cpu")
            check_precision("fp32", "cpu")
        lines = [r.getMessage() for r in caplog.records]
        assert lines == (
            [
                "precision='bf16': this CPU has no bfloat16 instructions (AVX512-BF16 or AMX), so bf16 "
                "is emulated and usually slower than fp32 here; use precision='fp32'"
            ]
            if warned
            else []
        )
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    caplog.clear()
    with caplog.at_level("WARNING", logger="carrousel.core.device"):
        check_precision("bf16", "cpu")
    assert not caplog.records

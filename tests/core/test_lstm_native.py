"""The fused C++ LSTM loop (native.py, lstm_native.py) against the Python loop it replaces, and its fallback.

The extension is built once per machine (cached under ``$TORCH_EXTENSIONS_DIR``) and loaded once per test
session. Where ninja or a compiler is missing the native tests skip with the reason, and the fallback tests
still run; ``test_builds_where_the_toolchain_is_present`` turns a broken build into a failure.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import torch
from torch.utils import cpp_extension

from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, explain_backend
from carrousel.core.nn import native as native_mod
from carrousel.core.nn.cells import LoopLayer
from carrousel.core.nn.lstm_native import NativeLNLSTMLoop, native_lstm_loop
from carrousel.core.nn.native import native_applies, native_ops, native_status

DT = torch.float64

pytestmark = pytest.mark.usefixtures("one_thread")


def _pair(cell: str, dtype: torch.dtype = DT, inputs: int = 3, **kw: object) -> tuple[LoopLayer, LoopLayer]:
    fast = LoopLayer(cell, inputs, 5, **kw).to(dtype)  # type: ignore[arg-type]
    for c in fast.cells:
        if cell == "peephole_lstm":
            torch.nn.init.normal_(c.peephole)  # type: ignore[arg-type]
        if cell == "ln_lstm":
            for ln in (c.ln_ih, c.ln_hh, c.ln_c):  # type: ignore[union-attr]
                torch.nn.init.normal_(ln.weight)
                torch.nn.init.normal_(ln.bias)
    assert fast.native and fast.fused_loop
    ref = copy.deepcopy(fast)
    ref.native = False  # lstm_loop.py / ln_lstm_loop.py in Python
    return fast, ref


def _run(layer: LoopLayer, x: torch.Tensor, lengths: torch.Tensor | None, state: tuple) -> list[torch.Tensor]:
    torch.manual_seed(7)  # the same dropout / zoneout masks for both paths
    out, (h, c) = layer(x, lengths, state)
    weight = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
    loss = (out * weight).sum() + (h * 1.3).sum() + (c * c).sum()
    grads = torch.autograd.grad(loss, [x, *state, *layer.parameters()])
    return [out, h, c, *grads]


def test_builds_where_the_toolchain_is_present() -> None:
    """With ninja and a C++ compiler on the machine the extension must build (a skip would hide a
    broken kernel); without them it reports which one is missing."""
    ok, reason = native_status()
    toolchain = cpp_extension.is_ninja_available() and shutil.which("c++") is not None
    if toolchain and "CARROUSEL_NATIVE_CELLS" not in reason:
        assert ok, reason
        assert "fused C++ loop" in reason
    else:
        assert not ok and reason


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "ln_lstm"])
@pytest.mark.parametrize(
    ("kw", "train"),
    [
        ({}, True),
        ({"bidirectional": True, "zoneout": 0.2}, True),
        ({"bidirectional": True, "zoneout": 0.2, "recurrent_dropout": 0.3}, True),
        ({"recurrent_dropout": 0.3}, True),
        ({"zoneout": 0.3, "recurrent_dropout": 0.3}, False),
    ],
)
def test_matches_the_python_loop_with_gradients(cell: str, kw: dict, train: bool) -> None:
    """float64: outputs, final states and every gradient equal the Python loop's under the same masks,
    with lengths and an initial state."""
    fast, ref = _pair(cell, **kw)
    fast.train(train)
    ref.train(train)
    D = 2 if kw.get("bidirectional") else 1
    x = torch.randn(4, 6, 3, dtype=DT, requires_grad=True)
    state = (
        torch.randn(D, 4, 5, dtype=DT, requires_grad=True),
        torch.randn(D, 4, 5, dtype=DT, requires_grad=True),
    )
    for lengths in (torch.tensor([6, 3, 5, 1]), None):
        got, want = _run(fast, x, lengths, state), _run(ref, x, lengths, state)
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "ln_lstm"])
def test_float32_is_close_and_passes_nan(cell: str) -> None:
    """float32 uses a faster exp (20 ulp): results stay within float32 noise of the Python loop; a NaN in
    the input still reaches the output (as on the Python loop)."""
    fast, ref = _pair(cell, torch.float32, zoneout=0.1)
    x = torch.randn(8, 30, 3, requires_grad=True)
    state = (torch.randn(1, 8, 5, requires_grad=True), torch.randn(1, 8, 5, requires_grad=True))
    for a, b in zip(_run(fast, x, None, state), _run(ref, x, None, state), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    bad = x.detach().clone()
    bad[2, 4, 0] = float("nan")
    out, _ = fast.eval()(bad, None, None)
    assert torch.isnan(out[2, 4:]).all() and not torch.isnan(out[[0, 1, 3]]).any()


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("peephole", [False, True])
def test_gradcheck_with_zoneout_and_dropout_masks(peephole: bool) -> None:
    torch.manual_seed(0)
    T, B, In, H = 4, 2, 2, 3
    args = [
        torch.randn(T, B, In, dtype=DT, requires_grad=True),
        torch.randn(4 * H, In, dtype=DT, requires_grad=True),
        torch.randn(4 * H, dtype=DT, requires_grad=True),
        torch.randn(4 * H, H, dtype=DT, requires_grad=True),
        torch.randn(B, H, dtype=DT, requires_grad=True),
        torch.randn(B, H, dtype=DT, requires_grad=True),
    ]
    if peephole:
        args.append(torch.randn(3, H, dtype=DT, requires_grad=True))
    drop = torch.bernoulli(torch.full((B, H), 0.7, dtype=DT)) / 0.7
    zh = torch.bernoulli(torch.full((T, B, H), 0.3, dtype=DT))
    zc = torch.bernoulli(torch.full((T, B, H), 0.3, dtype=DT))

    def f(*a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x_, w_ih_, b_, w_, h0_, c0_, *rest = a
        return native_lstm_loop(x_, w_ih_, b_, w_, rest[0] if rest else None, h0_, c0_, drop, zh, zc, 0.3)

    assert torch.autograd.gradcheck(f, tuple(args))


@pytest.mark.usefixtures("native")
def test_ln_lstm_gradcheck_with_masks() -> None:
    torch.manual_seed(1)
    T, B, H = 3, 2, 3
    xw = torch.randn(T, B, 4 * H, dtype=DT, requires_grad=True)
    args = [
        torch.randn(4 * H, dtype=DT, requires_grad=True),
        torch.randn(4 * H, H, dtype=DT, requires_grad=True),
    ]
    args += [torch.randn(n, dtype=DT, requires_grad=True) for n in (4 * H, 4 * H, 4 * H, 4 * H, H, H)]
    h0, c0 = (torch.randn(B, H, dtype=DT, requires_grad=True) for _ in range(2))
    drop = torch.bernoulli(torch.full((B, H), 0.7, dtype=DT)) / 0.7
    zh, zc = (torch.bernoulli(torch.full((T, B, H), 0.3, dtype=DT)) for _ in range(2))

    def f(*a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x_, b_, w_, iw_, ib_, hw_, hb_, cw_, cb_, h_, c_ = a
        out: tuple[torch.Tensor, torch.Tensor] = NativeLNLSTMLoop.apply(  # type: ignore[no-untyped-call]
            x_, b_, w_, iw_, ib_, hw_, hb_, cw_, cb_, 1e-5, h_, c_, drop, zh, zc, 0.3
        )
        return out

    assert torch.autograd.gradcheck(f, (xw, *args, h0, c0))


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("zoneout", [0.0, 0.2])
def test_ln_lstm_without_grad_keeps_one_step_and_equals(zoneout: float) -> None:
    """Under no_grad the C++ pass projects each step and keeps only one step of the gates; outputs and
    states equal those of the path with the backward's buffers, and the Python loop's (float64)."""
    fast, ref = _pair("ln_lstm", zoneout=zoneout)
    x = torch.randn(4, 6, 3, dtype=DT, requires_grad=True)
    state = (torch.randn(1, 4, 5, dtype=DT), torch.randn(1, 4, 5, dtype=DT))
    for m in (fast, ref):
        m.eval()

    def run(layer: LoopLayer) -> list[torch.Tensor]:
        out, (h, c) = layer(x, None, state)
        return [out, h, c]

    with_grad = run(fast)
    assert with_grad[0].requires_grad
    with torch.no_grad():
        without, python = run(fast), run(ref)
    for a, b, c in zip(with_grad, without, python, strict=True):
        torch.testing.assert_close(a.detach(), b, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(b, c, rtol=1e-10, atol=1e-10)
    fast.cells[0].ln_c.eps = 1e-3  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="one LayerNorm eps"):
        run(fast)


class _Spy:
    """Stands in for ``native_ops()`` and records each C++ op called with its arguments."""

    def __init__(self) -> None:
        self.ops = native_ops()
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str) -> object:
        op = getattr(self.ops, name)

        def call(*args: object) -> object:
            self.calls.append((name, args))
            return op(*args)

        return call


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "ln_lstm"])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"zoneout": 0.2},
        {"recurrent_dropout": 0.3},
        {"bidirectional": True, "zoneout": 0.2, "recurrent_dropout": 0.3},
    ],
)
@pytest.mark.parametrize("inputs", [3, 20])  # W_ih x in the C++ pass (few inputs) or a GEMM per step
def test_without_a_backward_the_inference_pass_runs_and_equals(
    cell: str, kw: dict, inputs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no backward follows (no_grad, or nothing requires grad) the C++ forward that keeps nothing for
    a backward runs; outputs and final states equal the training path's forward (float64, the same
    masks, lengths, initial states, both directions) and the Python loop's."""
    from carrousel.core.nn import lstm_native

    fast, ref = _pair(cell, inputs=inputs, **kw)
    D = 2 if kw.get("bidirectional") else 1
    x = torch.randn(4, 6, inputs, dtype=DT, requires_grad=True)
    state = (torch.randn(D, 4, 5, dtype=DT), torch.randn(D, 4, 5, dtype=DT))
    spy = _Spy()
    monkeypatch.setattr(lstm_native, "native_ops", lambda: spy)

    def run(layer: LoopLayer, x_: torch.Tensor, lengths: torch.Tensor | None) -> list[torch.Tensor]:
        torch.manual_seed(7)  # the same dropout / zoneout masks on every path
        out, (h, c) = layer(x_, lengths, state)
        return [out, h, c]

    def inference_pass() -> bool:  # every call since the last check was the forward without buffers
        calls, spy.calls[:] = list(spy.calls), []
        if cell == "ln_lstm":
            return bool(calls) and all(n == "ln_lstm_fwd" and a[16:17] == (False,) for n, a in calls)
        return bool(calls) and all(n == "lstm_fwd_infer" for n, _ in calls)

    for lengths in (torch.tensor([6, 3, 5, 1]), None):
        with_grad = run(fast, x, lengths)
        assert with_grad[0].requires_grad and not inference_pass()
        with torch.no_grad():
            without = run(fast, x, lengths)
        assert inference_pass()
        frozen = copy.deepcopy(fast).requires_grad_(False)
        nothing_requires = run(frozen, x.detach(), lengths)  # grad mode on, but nothing to differentiate
        assert inference_pass()
        with torch.no_grad():
            python = run(ref, x, lengths)
        for a, b, c, d in zip(with_grad, without, nothing_requires, python, strict=True):
            torch.testing.assert_close(b, a.detach(), rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(c, b, rtol=0, atol=0)
            torch.testing.assert_close(b, d, rtol=1e-10, atol=1e-10)


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "ln_lstm"])
def test_inference_pass_does_not_depend_on_the_thread_count(cell: str) -> None:
    """Rows run in parallel chunks; each row's arithmetic is its own, so 1 and 2 threads agree."""
    layer = LoopLayer(cell, 3, 8, zoneout=0.1, recurrent_dropout=0.2).to(DT)  # type: ignore[arg-type]
    x = torch.randn(5000, 3, 3, dtype=DT)  # B large enough for several row chunks

    def run(threads: int) -> list[torch.Tensor]:
        torch.set_num_threads(threads)
        torch.manual_seed(3)
        with torch.no_grad():
            out, (h, c) = layer(x, None, None)
        return [out, h, c]

    one, two = run(1), run(2)
    for a, b in zip(one, two, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-13)


@pytest.mark.usefixtures("native")
def test_no_build_per_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once loaded, new shapes, dtypes and options never compile again: ``load`` may not be called."""

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("the extension was built again")

    monkeypatch.setattr(cpp_extension, "load", no_build)
    for B, T, H, dt in ((2, 3, 7, torch.float32), (5, 11, 33, DT), (1, 1, 1, torch.float32)):
        layer = LoopLayer("peephole_lstm", 2, H, zoneout=0.1).to(dt)
        out, _ = layer(torch.randn(B, T, 2, dtype=dt), None, None)
        out.sum().backward()
        assert out.shape == (B, T, H)


def test_a_header_change_rebuilds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The shared header is part of the build: its hash is in the flags ``load`` hashes (so editing only
    the header rebuilds both kernels), and a header missing from the installation is reported."""
    header = tmp_path / "cells_common.h"
    header.write_text("// one\n")
    monkeypatch.setattr(native_mod, "_HEADERS", [header])
    first = native_mod._header_flag()
    header.write_text("// two\n")
    assert native_mod._header_flag() != first
    assert first.startswith("-DCARROUSEL_CELLS_HEADERS=")
    header.unlink()
    monkeypatch.setattr(cpp_extension, "is_ninja_available", lambda: True)
    monkeypatch.delenv("CARROUSEL_NATIVE_CELLS", raising=False)
    monkeypatch.setenv("CXX", "sh")  # any program on PATH: the compiler check passes
    assert f"the kernel source {header} is missing" in str(native_mod._missing())


def test_falls_back_to_the_python_loop_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unavailable extension (switched off, no ninja, no compiler): the Python loop runs with the same
    results and explain_backend says why."""
    monkeypatch.setenv("CARROUSEL_NATIVE_CELLS", "0")
    assert native_mod._missing() == "switched off by CARROUSEL_NATIVE_CELLS=0"
    monkeypatch.delenv("CARROUSEL_NATIVE_CELLS")
    monkeypatch.setattr(cpp_extension, "is_ninja_available", lambda: False)
    assert "ninja is not installed" in str(native_mod._missing())
    monkeypatch.setattr(cpp_extension, "is_ninja_available", lambda: True)
    monkeypatch.setenv("CXX", "no-such-compiler-xyz")
    assert "no C++ compiler" in str(native_mod._missing())

    def missing_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("no build may be attempted without a toolchain")

    monkeypatch.setattr(cpp_extension, "load", missing_build)
    monkeypatch.setattr(native_mod, "_STATE", {})  # as in a fresh process
    assert native_status() == (
        False,
        "no C++ compiler ('no-such-compiler-xyz' not on PATH; install g++ or set CXX)",
    )
    fast, ref = _pair("peephole_lstm", zoneout=0.2, recurrent_dropout=0.2)
    x = torch.randn(4, 6, 3, dtype=DT, requires_grad=True)
    state = (
        torch.randn(1, 4, 5, dtype=DT, requires_grad=True),
        torch.randn(1, 4, 5, dtype=DT, requires_grad=True),
    )
    for a, b in zip(_run(fast, x, None, state), _run(ref, x, None, state), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # the very same Python loop
    enc = RecurrentEncoder(RecurrentConfig(3, 5, cell="peephole_lstm"))
    text = str(explain_backend(enc, torch.randn(2, 4, 3)))
    assert "in Python (lstm_loop.py): no C++ compiler" in text
    # ln_lstm without the extension: the autograd loop (ln_lstm_loop.py measured slower than it)
    ln = RecurrentEncoder(RecurrentConfig(3, 5, cell="ln_lstm"))
    assert "steps recorded by autograd (no fused C++ loop: no C++ compiler" in str(explain_backend(ln, x))
    fast, ref = _pair("ln_lstm")
    ref.fused_loop = False
    for a, b in zip(_run(fast, x, None, state), _run(ref, x, None, state), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # the same autograd loop


def test_explain_backend_names_the_loop() -> None:
    enc = RecurrentEncoder(RecurrentConfig(3, 5, zoneout=0.1))
    x = torch.randn(2, 4, 3)
    ok, reason = native_applies(x)
    text = str(explain_backend(enc, x))
    assert (f"in the {reason}" if ok else f"in Python (lstm_loop.py): {reason}") in text
    assert "CPU-only" in native_applies(x.to(torch.bfloat16).to("meta"))[1]
    assert "float32/float64" in native_applies(x.to(torch.bfloat16))[1]
    enc.layers[0].native = False  # type: ignore[union-attr]
    assert "LoopLayer.native=False" in str(explain_backend(enc, x))


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("p", [0.1, 0.75])
def test_masks_have_p_ones_and_independent_pairs(p: float) -> None:
    """The extension's masks (two draws per hash: element m and m + ceil(n/2)): P(1) = p in both halves,
    no correlation within a pair, the same mask for the same seed on 1 and 2 threads, odd sizes too."""
    like = torch.zeros(1, dtype=DT)
    n = 2_000_001
    torch.manual_seed(5)
    mask = native_mod.draw_mask((n,), p, like)
    half = (n + 1) // 2
    sd = (p * (1 - p) / half) ** 0.5
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    for part in (mask[:half], mask[half:]):
        assert abs(part.mean().item() - p) < 5 * sd
    first, second = mask[: n - half], mask[half:]
    both = (first * second).mean().item()  # P(both 1) = p^2 for independent draws
    assert abs(both - p * p) < 5 * (p * p * (1 - p * p) / (n - half)) ** 0.5
    torch.set_num_threads(2)
    torch.manual_seed(5)
    again = native_mod.draw_mask((n,), p, like)
    torch.set_num_threads(1)
    assert torch.equal(mask, again)

"""The NumPy oracle against PyTorch (outputs and every gradient, float64) and against finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.nn.reference import (
    gru_backward,
    gru_forward,
    layer_backward,
    layer_forward,
    locate_parameter,
    lstm_backward,
    lstm_forward,
    reverse_padded,
    rnn_backward,
    rnn_forward,
    sigmoid,
    stack_backward,
    stack_forward,
    stack_params,
)

CELLS = ["lstm", "gru", "rnn_tanh", "rnn_relu"]
RTOL, ATOL = 1e-9, 1e-11  # gradients: float64 agreement between two exact implementations


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _randomise(module: nn.Module) -> None:
    """Non-zero biases and weights large enough to drive the gates away from their linear range."""
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, 0.5)


def _torch_rnn(cell: str, input_size: int, hidden: int, **kw: Any) -> nn.RNNBase:
    if cell == "lstm":
        return nn.LSTM(input_size, hidden, batch_first=True, **kw)
    if cell == "gru":
        return nn.GRU(input_size, hidden, batch_first=True, **kw)
    return nn.RNN(input_size, hidden, nonlinearity=cell[4:], batch_first=True, **kw)


def _check_against_torch(
    module: nn.Module,
    cell: str,
    run: Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]],
    x: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor | None,
    lengths: torch.Tensor | None,
    residual: bool,
) -> None:
    """Runs torch and the oracle stack on the same weights; compares outputs, states and every gradient."""
    x, h0 = x.clone().requires_grad_(True), h0.clone().requires_grad_(True)
    if c0 is not None:
        c0 = c0.clone().requires_grad_(True)
    out, hn, cn = run(x, h0, c0)
    g_out, g_h = torch.randn_like(out), torch.randn_like(hn)
    loss = (out * g_out).sum() + (hn * g_h).sum()
    g_c = None
    if cn is not None:
        g_c = torch.randn_like(cn)
        loss = loss + (cn * g_c).sum()
    loss.backward()

    layers = stack_params({k: _np(v) for k, v in module.state_dict().items()})
    lens = None if lengths is None else _np(lengths)
    ref = stack_forward(
        cell, _np(x), layers, _np(h0), None if c0 is None else _np(c0), lens, residual=residual
    )
    np.testing.assert_allclose(ref.output, _np(out), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ref.h, _np(hn), rtol=1e-10, atol=1e-12)
    if cn is not None:
        assert ref.c is not None
        np.testing.assert_allclose(ref.c, _np(cn), rtol=1e-10, atol=1e-12)

    grads = stack_backward(_np(g_out), _np(g_h), None if g_c is None else _np(g_c), ref.cache)
    assert x.grad is not None and h0.grad is not None
    np.testing.assert_allclose(grads.x, _np(x.grad), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grads.h0, _np(h0.grad), rtol=RTOL, atol=ATOL)
    if c0 is not None:
        assert c0.grad is not None and grads.c0 is not None
        np.testing.assert_allclose(grads.c0, _np(c0.grad), rtol=RTOL, atol=ATOL)
    checked = 0
    for name, p in module.named_parameters():
        layer, direction, key = locate_parameter(name)
        assert p.grad is not None, name
        np.testing.assert_allclose(
            grads.layers[layer][direction][key], _np(p.grad), rtol=RTOL, atol=ATOL, err_msg=name
        )
        checked += 1
    assert checked == sum(len(g) for dirs in grads.layers for g in dirs)  # every oracle gradient compared


def _inputs(
    B: int, T: int, n_in: int, n_states: int, h_out: int, hidden: int, cell: str, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    x = torch.randn(B, T, n_in, dtype=torch.float64, device=device)
    h0 = 0.5 * torch.randn(n_states, B, h_out, dtype=torch.float64, device=device)
    c0 = (
        0.5 * torch.randn(n_states, B, hidden, dtype=torch.float64, device=device) if cell == "lstm" else None
    )
    return x, h0, c0


@pytest.mark.parametrize("cell", CELLS)
def test_matches_torch_modules(cell: str, device: torch.device) -> None:
    rnn = _torch_rnn(cell, 3, 5).double().to(device)
    _randomise(rnn)
    x, h0, c0 = _inputs(4, 6, 3, 1, 5, 5, cell, device)

    def run(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor | None) -> Any:
        out, hn = rnn(x, (h0, c0) if c0 is not None else h0)
        return (out, *hn) if isinstance(hn, tuple) else (out, hn, None)

    _check_against_torch(rnn, cell, run, x, h0, c0, None, residual=False)


@pytest.mark.parametrize("backend", ["auto", "loop"])
@pytest.mark.parametrize("cell", CELLS)
def test_matches_encoder_with_lengths(cell: str, backend: str, device: torch.device) -> None:
    cfg = RecurrentConfig(input_size=3, hidden_size=4, cell=cell, backend=backend)
    enc = RecurrentEncoder(cfg).double().to(device).eval()
    _randomise(enc)
    x, h0, c0 = _inputs(4, 7, 3, 1, 4, 4, cell, device)
    lengths = torch.tensor([7, 2, 5, 1])

    def run(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor | None) -> Any:
        r = enc(x, lengths=lengths, state=(h0, c0))
        return r.output, r.state.h, r.state.c

    _check_against_torch(enc, cell, run, x, h0, c0, lengths, residual=False)


@pytest.mark.parametrize(
    ("cell", "backend", "residual", "proj"),
    [
        ("lstm", "auto", False, 0),  # one fused multi-layer nn.LSTM
        ("lstm", "loop", True, 0),  # step loop, residual connection between layers
        ("gru", "auto", True, 0),  # one fused nn.GRU per layer (residual)
        ("rnn_tanh", "loop", False, 0),
        ("lstm", "auto", False, 3),  # projected LSTM, fused
        ("lstm", "loop", True, 3),  # projected LSTM, step loop
    ],
)
def test_bidirectional_stack_matches_encoder(
    cell: str, backend: str, residual: bool, proj: int, device: torch.device
) -> None:
    cfg = RecurrentConfig(
        input_size=3,
        hidden_size=5,
        cell=cell,
        num_layers=2,
        bidirectional=True,
        proj_size=proj,
        residual=residual,
        backend=backend,
    )
    enc = RecurrentEncoder(cfg).double().to(device).eval()
    _randomise(enc)
    h_out = proj or 5
    x, h0, c0 = _inputs(3, 6, 3, 4, h_out, 5, cell, device)
    lengths = torch.tensor([4, 6, 1])

    def run(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor | None) -> Any:
        r = enc(x, lengths=lengths, state=(h0, c0))
        return r.output, r.state.h, r.state.c

    _check_against_torch(enc, cell, run, x, h0, c0, lengths, residual=residual)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("layers", "bidirectional"), [(3, True), (2, False)])
def test_padded_varlen_path_matches_oracle(cell: str, layers: int, bidirectional: bool) -> None:
    """The padded path for unequal lengths (core/nn/varlen.py): outputs, states, every gradient."""
    cfg = RecurrentConfig(
        input_size=3,
        hidden_size=4,
        cell=cell,
        num_layers=layers,
        bidirectional=bidirectional,
        varlen="padded",
    )
    enc = RecurrentEncoder(cfg).double().eval()
    _randomise(enc)
    D = 2 if bidirectional else 1
    x, h0, c0 = _inputs(5, 7, 3, layers * D, 4, 4, cell, torch.device("cpu"))
    lengths = torch.tensor([4, 7, 1, 6, 4])

    def run(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor | None) -> Any:
        r = enc(x, lengths=lengths, state=(h0, c0))
        return r.output, r.state.h, r.state.c

    _check_against_torch(enc, cell, run, x, h0, c0, lengths, residual=False)


def _random_params(
    cell: str, rng: np.random.Generator, n_in: int, H: int, proj: int = 0
) -> dict[str, np.ndarray]:
    G = {"lstm": 4, "gru": 3}.get(cell, 1)
    h_out = proj or H
    p = {
        "weight_ih": rng.normal(0, 0.6, (G * H, n_in)),
        "weight_hh": rng.normal(0, 0.6, (G * H, h_out)),
        "bias_ih": rng.normal(0, 0.6, G * H),
        "bias_hh": rng.normal(0, 0.6, G * H),
    }
    if proj:
        p["weight_hr"] = rng.normal(0, 0.6, (proj, H))
    return p


@pytest.mark.parametrize(
    ("cell", "proj", "reverse"),
    [
        ("lstm", 0, False),
        ("lstm", 2, True),
        ("gru", 0, False),
        ("gru", 0, True),
        ("rnn_tanh", 0, False),
        ("rnn_relu", 0, True),
    ],
)
def test_oracle_gradients_match_finite_differences(cell: str, proj: int, reverse: bool) -> None:
    rng = np.random.default_rng(1)
    B, T, n_in, H = 3, 4, 2, 3
    h_out = proj or H
    params = _random_params(cell, rng, n_in, H, proj)
    inputs = {"x": rng.normal(size=(B, T, n_in)), "h0": rng.normal(0, 0.5, (B, h_out))}
    if cell == "lstm":
        inputs["c0"] = rng.normal(0, 0.5, (B, H))
    lengths = np.array([4, 2, 3])
    g_out, g_h, g_c = rng.normal(size=(B, T, h_out)), rng.normal(size=(B, h_out)), rng.normal(size=(B, H))

    def loss() -> float:
        r = layer_forward(cell, inputs["x"], params, inputs["h0"], inputs.get("c0"), lengths, reverse)
        total = float((r.output * g_out).sum() + (r.h * g_h).sum())
        return total + (float((r.c * g_c).sum()) if r.c is not None else 0.0)

    r = layer_forward(cell, inputs["x"], params, inputs["h0"], inputs.get("c0"), lengths, reverse)
    grads = layer_backward(g_out, g_h, g_c if cell == "lstm" else None, r.cache)
    assert set(grads) == set(params) | set(inputs)
    eps = 1e-6
    for name, arr in [*params.items(), *inputs.items()]:
        numeric = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = loss()
            arr[idx] = old - eps
            down = loss()
            arr[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)
    # padding steps get no gradient: the input past each length never influences anything
    assert np.all(grads["x"][1, 2:] == 0.0) and np.all(grads["x"][2, 3:] == 0.0)


def test_named_wrappers_agree_with_layer_functions() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 5, 3))
    d_out = rng.normal(size=(2, 5, 4))
    for cell in CELLS:
        p = _random_params(cell, rng, 3, 4)
        base = layer_forward(cell, x, p)
        base_g = layer_backward(d_out, None, None, base.cache)
        if cell == "lstm":
            r = lstm_forward(x, p)
            g = lstm_backward(d_out, None, None, r.cache)
        elif cell == "gru":
            r = gru_forward(x, p)
            g = gru_backward(d_out, None, r.cache)
        else:
            r = rnn_forward(x, p, nonlinearity=cell[4:])
            g = rnn_backward(d_out, None, r.cache)
        np.testing.assert_array_equal(r.output, base.output)
        for k in base_g:
            np.testing.assert_array_equal(g[k], base_g[k])
        assert np.abs(r.output).max() > 0.05  # the layer produced something non-trivial


def test_helpers_and_errors() -> None:
    a = np.array([-800.0, 0.0, 800.0])
    np.testing.assert_allclose(sigmoid(a), [0.0, 0.5, 1.0])  # no overflow at extreme pre-activations
    x = np.arange(2 * 4 * 1, dtype=float).reshape(2, 4, 1)
    lens = np.array([4, 2])
    rev = reverse_padded(x, lens)
    np.testing.assert_array_equal(rev[:, :, 0], [[3, 2, 1, 0], [5, 4, 6, 7]])
    np.testing.assert_array_equal(reverse_padded(rev, lens), x)
    assert locate_parameter("rnn.weight_hh_l1_reverse") == (1, 1, "weight_hh")
    assert locate_parameter("layers.1.weight_ih_l0") == (1, 0, "weight_ih")
    assert locate_parameter("layers.0.cells.1.bias_hh") == (0, 1, "bias_hh")
    with pytest.raises(ConfigError):
        locate_parameter("layers.0.cells.0.ln_ih.weight")
    p = _random_params("gru", np.random.default_rng(0), 2, 3)
    with pytest.raises(ConfigError):
        layer_forward("ln_lstm", np.zeros((1, 2, 2)), p)
    with pytest.raises(ShapeError):
        layer_forward("gru", np.zeros((1, 2, 5)), p)
    with pytest.raises(ShapeError):
        layer_forward("gru", np.zeros((1, 2, 2)), p, lengths=np.array([3]))

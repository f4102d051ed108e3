"""Recurrent initialisation: orthogonal recurrent blocks per gate, Xavier input weights, forget bias 1."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from carrousel.core.errors import ConfigError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, init_recurrent_

GATES = {"lstm": 4, "peephole_lstm": 4, "ln_lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
LSTM_LIKE = {"lstm", "peephole_lstm", "ln_lstm"}
H = 6


def _params(enc: RecurrentEncoder, prefix: str) -> dict[str, torch.Tensor]:
    return {n: p.detach() for n, p in enc.named_parameters() if n.split(".")[-1].startswith(prefix)}


def _check_orthogonal_blocks(w: torch.Tensor, gates: int, name: str) -> None:
    assert w.shape[0] == gates * H, name
    for g, block in enumerate(w.chunk(gates, dim=0)):
        rows, cols = block.shape
        gram = block @ block.T if rows <= cols else block.T @ block  # orthonormal rows or columns
        eye = torch.eye(min(rows, cols))
        torch.testing.assert_close(gram, eye, atol=1e-5, rtol=0, msg=f"{name} gate block {g}")


@pytest.mark.parametrize(
    ("cell", "backend"),
    [(c, "loop") for c in GATES] + [(c, "auto") for c in GATES if c not in ("peephole_lstm", "ln_lstm")],
)
def test_recurrent_init(cell: str, backend: str) -> None:
    cfg = RecurrentConfig(5, H, cell=cell, num_layers=2, bidirectional=True, backend=backend)
    enc = RecurrentEncoder(cfg)
    w_hh = _params(enc, "weight_hh")
    assert len(w_hh) == 4, "two layers x two directions"
    for name, w in w_hh.items():
        _check_orthogonal_blocks(w, GATES[cell], name)
    for name, w in _params(enc, "weight_ih").items():
        fan_out, fan_in = w.shape
        assert w.abs().max() <= math.sqrt(6.0 / (fan_in + fan_out)) + 1e-6, f"{name} is not Xavier-bounded"
        assert w.std() > 0.1 * math.sqrt(2.0 / (fan_in + fan_out)), f"{name} looks degenerate"
    for name, b in _params(enc, "bias_ih").items():
        expected = torch.zeros(GATES[cell] * H)
        if cell in LSTM_LIKE:
            expected[H : 2 * H] = 1.0  # gate order i, f, g, o
        assert torch.equal(b, expected), name
    for name, b in _params(enc, "bias_hh").items():
        assert torch.equal(b, torch.zeros_like(b)), f"{name}: only one of the two biases carries the 1"


def test_projected_lstm_has_orthonormal_columns() -> None:
    enc = RecurrentEncoder(RecurrentConfig(5, H, proj_size=3))
    for name, w in _params(enc, "weight_hh").items():
        assert w.shape == (4 * H, 3)
        _check_orthogonal_blocks(w, 4, name)
    for name, w in _params(enc, "weight_hr").items():
        assert w.shape == (3, H) and w.abs().max() <= math.sqrt(6.0 / (3 + H)) + 1e-6, name


def test_forget_bias_makes_a_fresh_lstm_remember() -> None:
    """With forget bias 1 (and zero input) the cell state decays by sigmoid(1) ~ 0.73 per step, not 0.5."""
    lstm = nn.LSTM(1, H, batch_first=True)
    init_recurrent_(lstm)
    with torch.no_grad():
        dict(lstm.named_parameters())["weight_hh_l0"].zero_()
        c0 = torch.ones(1, 1, H)
        _, (_, c1) = lstm(torch.zeros(1, 1, 1), (torch.zeros(1, 1, H), c0))
    torch.testing.assert_close(c1, torch.sigmoid(torch.tensor(1.0)).expand(1, 1, H))


def test_plain_torch_modules_and_schemes() -> None:
    gru = nn.GRU(4, H, num_layers=2)
    before = {n: p.clone() for n, p in gru.named_parameters()}
    assert init_recurrent_(gru, "pytorch") is gru
    assert all(torch.equal(before[n], p) for n, p in gru.named_parameters())
    init_recurrent_(gru)
    params = {n: p.detach() for n, p in gru.named_parameters()}
    _check_orthogonal_blocks(params["weight_hh_l1"], 3, "gru.weight_hh_l1")
    assert torch.equal(params["bias_ih_l0"], torch.zeros(3 * H)), "no forget bias outside LSTMs"
    with pytest.raises(ConfigError, match="init scheme"):
        init_recurrent_(gru, "he")


def test_pytorch_scheme_keeps_uniform_init() -> None:
    enc = RecurrentEncoder(RecurrentConfig(5, H, init="pytorch"))
    bound = 1.0 / math.sqrt(H)
    for name, p in enc.named_parameters():
        assert p.abs().max() <= bound + 1e-6, name
    forget_bias = dict(enc.named_parameters())["rnn.bias_ih_l0"][H : 2 * H].detach()
    assert not torch.equal(forget_bias, torch.ones(H))

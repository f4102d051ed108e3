"""Loop cells: each step against torch.nn cells or the written-out equations, gradients, zoneout, helpers."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.errors import CarrouselError, RegistryError
from carrousel.core.nn.cells import CELLS, LNLSTMCell, LoopCell, LoopLayer, PeepholeLSTMCell, reverse_padded

B, IN, H = 3, 4, 5
DT = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see tests/conftest.py


def _step(cell: LoopCell, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None) -> tuple:
    """One step through the public project/step API."""
    return cell.step(cell.project(x), h, c)


@pytest.mark.parametrize(
    ("name", "ref_cls", "kw"),
    [
        ("lstm", torch.nn.LSTMCell, {}),
        ("gru", torch.nn.GRUCell, {}),
        ("rnn_tanh", torch.nn.RNNCell, {"nonlinearity": "tanh"}),
        ("rnn_relu", torch.nn.RNNCell, {"nonlinearity": "relu"}),
    ],
)
def test_standard_cells_match_torch(name: str, ref_cls: type, kw: dict, device: torch.device) -> None:
    cell = CELLS.get(name)(IN, H).to(device, DT)
    ref = ref_cls(IN, H, **kw).to(device, DT)
    ref.load_state_dict({k: v for k, v in cell.state_dict().items()})
    x = torch.randn(B, IN, device=device, dtype=DT)
    h = torch.randn(B, H, device=device, dtype=DT)
    if cell.is_lstm:
        c = torch.randn(B, H, device=device, dtype=DT)
        h1, c1 = _step(cell, x, h, c)
        rh, rc = ref(x, (h, c))
        torch.testing.assert_close(c1, rc, rtol=1e-12, atol=1e-12)
    else:
        h1, c1 = _step(cell, x, h, None)
        rh = ref(x, h)
        assert c1 is None
    torch.testing.assert_close(h1, rh, rtol=1e-12, atol=1e-12)


def test_lstm_projection_matches_formula(device: torch.device) -> None:
    cell = CELLS.get("lstm")(IN, H, proj_size=2).to(device, DT)
    x, h, c = (torch.randn(B, n, device=device, dtype=DT) for n in (IN, 2, H))
    z = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    i, f, g, o = z.chunk(4, 1)
    c_ref = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h_ref = (o.sigmoid() * c_ref.tanh()) @ cell.weight_hr.T
    h1, c1 = _step(cell, x, h, c)
    torch.testing.assert_close(h1, h_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(c1, c_ref, rtol=1e-12, atol=1e-12)


def test_peephole_matches_formula_and_reduces_to_lstm(device: torch.device) -> None:
    cell = PeepholeLSTMCell(IN, H).to(device, DT)
    plain = CELLS.get("lstm")(IN, H).to(device, DT)
    plain.load_state_dict({k: v for k, v in cell.state_dict().items() if k != "peephole"})
    x, h, c = (torch.randn(B, n, device=device, dtype=DT) for n in (IN, H, H))
    for a, b in zip(_step(cell, x, h, c), _step(plain, x, h, c), strict=True):  # zero peepholes = LSTM
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with torch.no_grad():
        cell.peephole.normal_()
    p = cell.peephole
    z = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    i, f, g, o = z.chunk(4, 1)
    c_ref = (f + p[1] * c).sigmoid() * c + (i + p[0] * c).sigmoid() * g.tanh()
    h_ref = (o + p[2] * c_ref).sigmoid() * c_ref.tanh()
    h1, c1 = _step(cell, x, h, c)
    torch.testing.assert_close(h1, h_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(c1, c_ref, rtol=1e-12, atol=1e-12)


def test_ln_lstm_matches_formula(device: torch.device) -> None:
    cell = LNLSTMCell(IN, H).to(device, DT)
    with torch.no_grad():
        for ln in (cell.ln_ih, cell.ln_hh, cell.ln_c):
            ln.weight.normal_()
            ln.bias.normal_()
    x, h, c = (torch.randn(B, n, device=device, dtype=DT) for n in (IN, H, H))

    def ln(m: torch.nn.LayerNorm, v: torch.Tensor) -> torch.Tensor:
        mu, var = v.mean(-1, keepdim=True), v.var(-1, unbiased=False, keepdim=True)
        return (v - mu) / torch.sqrt(var + m.eps) * m.weight + m.bias

    z = (
        ln(cell.ln_ih, x @ cell.weight_ih.T)
        + ln(cell.ln_hh, h @ cell.weight_hh.T)
        + cell.bias_ih
        + cell.bias_hh
    )
    i, f, g, o = z.chunk(4, 1)
    c_ref = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h_ref = o.sigmoid() * ln(cell.ln_c, c_ref).tanh()
    h1, c1 = _step(cell, x, h, c)
    torch.testing.assert_close(h1, h_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(c1, c_ref, rtol=1e-10, atol=1e-12)


def test_reset_parameters_leaves_layer_norm_alone() -> None:
    cell = LNLSTMCell(IN, H)
    cell.reset_parameters()
    assert torch.equal(cell.ln_c.weight, torch.ones(H)) and torch.equal(cell.ln_c.bias, torch.zeros(H))
    bound = 1 / H**0.5
    assert cell.weight_hh.abs().max() <= bound and cell.weight_hh.std() > 0


@pytest.mark.parametrize("name", ["ln_lstm", "peephole_lstm", "gru"])
def test_loop_layer_gradients_pass_gradcheck(name: str) -> None:
    layer = LoopLayer(name, 2, 3, bidirectional=True, zoneout=0.2).to(DT).eval()
    if name == "peephole_lstm":
        for cell in layer.cells:
            torch.nn.init.normal_(cell.peephole)  # type: ignore[arg-type]
    x = torch.randn(2, 4, 2, dtype=DT, requires_grad=True)
    lengths = torch.tensor([4, 2])
    assert torch.autograd.gradcheck(lambda v: layer(v, lengths, None)[0], (x,))


def test_zoneout_eval_is_the_expectation() -> None:
    p = 0.3
    layer = LoopLayer("gru", IN, H, zoneout=p).to(DT).eval()
    plain = LoopLayer("gru", IN, H).to(DT).eval()
    plain.load_state_dict(layer.state_dict())
    x = torch.randn(B, 1, IN, dtype=DT)
    h0 = torch.randn(1, B, H, dtype=DT)
    out, _ = layer(x, None, (h0, None))
    new, _ = plain(x, None, (h0, None))
    torch.testing.assert_close(out[:, 0], p * h0[0] + (1 - p) * new[:, 0], rtol=1e-12, atol=1e-12)


def test_recurrent_dropout_mask_is_fixed_over_time() -> None:
    """Variational dropout: with an identity-free RNN (W_ih = 0), a dropped unit of h_(t-1) contributes
    nothing at every step, so the same columns of W_hh are unused throughout the sequence."""
    torch.manual_seed(1)
    layer = LoopLayer("rnn_tanh", 1, 6, recurrent_dropout=0.5).to(DT).train()
    cell = layer.cells[0]
    with torch.no_grad():
        cell.weight_ih.zero_()
        cell.bias_ih.fill_(0.5)
    out, _ = layer(torch.zeros(1, 5, 1, dtype=DT), None, None)
    out.sum().backward()
    used = cell.weight_hh.grad.abs().sum(0) > 0  # columns = units of h_(t-1)
    assert 0 < int(used.sum()) < 6  # some units dropped, some kept, the same for all steps


def test_reverse_padded() -> None:
    x = torch.arange(2 * 4, dtype=DT).view(2, 4, 1)
    lengths = torch.tensor([4, 2])
    rev = reverse_padded(x, lengths)
    assert rev[:, :, 0].tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]
    assert torch.equal(reverse_padded(rev, lengths), x)
    assert torch.equal(reverse_padded(x, None), x.flip(1))


def test_registry() -> None:
    assert set(CELLS) == {"lstm", "gru", "rnn_tanh", "rnn_relu", "ln_lstm", "peephole_lstm"}
    with pytest.raises(RegistryError, match="choose one of"):
        CELLS.get("mlstm")
    assert CELLS.get("ln_lstm").is_lstm and not CELLS.get("gru").is_lstm


def test_registering_a_class_that_is_not_a_loop_cell_is_a_registry_error() -> None:
    # before: a plain TypeError, which the CLIs (catching CarrouselError) printed as a traceback
    with pytest.raises(RegistryError, match=r"<class 'int'> must subclass LoopCell to be a recurrent cell"):
        CELLS.register("not_a_cell")(int)  # type: ignore[arg-type]
    with pytest.raises(CarrouselError, match="must subclass LoopCell"):
        CELLS.register("not_a_cell")(len)  # type: ignore[arg-type]
    assert "not_a_cell" not in CELLS


@pytest.mark.parametrize(
    ("cell", "extra"),
    [("ln_lstm", {}), ("peephole_lstm", {}), ("lstm", {"zoneout": 0.1}), ("lstm", {"backend": "loop"})],
)
def test_loop_layers_padding_never_leaks(cell: str, extra: dict) -> None:
    """NaN in the padding of a step-loop encoder changes no output, state or gradient (it used to come out
    as NaN past each length and NaN weight gradients)."""
    from carrousel.core.nn import RecurrentConfig, RecurrentEncoder

    cfg = RecurrentConfig(input_size=3, hidden_size=4, cell=cell, bidirectional=True, num_layers=2, **extra)
    enc = RecurrentEncoder(cfg).double().eval()  # eval: zoneout's expectation, no random masks
    lengths = torch.tensor([6, 3, 1])
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    dirty = x.masked_fill(torch.arange(6)[None, :, None] >= lengths[:, None, None], float("nan"))
    runs = []
    for inp in (x, dirty):
        inp = inp.clone().requires_grad_(True)
        out = enc(inp, lengths)
        (out.output.sum() + out.last.sum() + out.state.c.sum()).backward()
        grads = [p.grad.clone() for p in enc.parameters()]
        enc.zero_grad()
        runs.append([out.output, out.last, out.state.h, out.state.c, inp.grad.nan_to_num(0.0), *grads])
    assert bool((runs[1][0][1, 3:] == 0).all())
    for got, want in zip(runs[1], runs[0], strict=True):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)

"""RecurrentEncoder: shapes, masking, lengths, bidirectional last states, loop == fused, stateful use, errors."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.io import load_module, save_module
from carrousel.core.nn import LoopLayer, RecurrentConfig, RecurrentEncoder, State
from carrousel.core.nn.recurrent import lengths_from_mask

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see tests/conftest.py


IN, H = 3, 5
LENGTHS = [6, 4, 1, 5]
B, T = len(LENGTHS), 6


def make(device: torch.device, dtype: torch.dtype = torch.float64, **kw: Any) -> RecurrentEncoder:
    cfg = RecurrentConfig(input_size=kw.pop("input_size", IN), hidden_size=kw.pop("hidden_size", H), **kw)
    return RecurrentEncoder(cfg).to(device=device, dtype=dtype)


def data(device: torch.device, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(B, T, IN, device=device, dtype=dtype), torch.tensor(LENGTHS)


# Configurations that exercise every code path: one multi-layer fused module, fused per layer (residual),
# and the Python loop (custom cells, zoneout, recurrent dropout, backend="loop").
PATHS: list[dict[str, Any]] = [
    dict(cell="lstm", num_layers=2, bidirectional=True),
    dict(cell="gru", num_layers=2, bidirectional=True, residual=True),
    dict(cell="rnn_tanh", bidirectional=True),
    dict(cell="lstm", proj_size=3, num_layers=2, bidirectional=True),
    dict(cell="lstm", num_layers=2, bidirectional=True, backend="loop"),
    dict(cell="ln_lstm", num_layers=2, bidirectional=True),
    dict(cell="peephole_lstm", bidirectional=True, proj_size=2),
    dict(cell="gru", bidirectional=True, zoneout=0.2),
    dict(cell="lstm", bidirectional=True, recurrent_dropout=0.3, residual=True, num_layers=2),
]
IDS = ["-".join(f"{k}={v}" for k, v in p.items()) for p in PATHS]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "rnn_relu", "ln_lstm", "peephole_lstm"])
def test_shapes_every_cell(cell: str, device: torch.device) -> None:
    lstm_like = cell in ("lstm", "ln_lstm", "peephole_lstm")
    for bidirectional in (False, True):
        for layers in (1, 2):
            for proj in (0, 2) if lstm_like else (0,):
                for residual in (False, True) if layers == 2 else (False,):
                    enc = make(
                        device,
                        cell=cell,
                        bidirectional=bidirectional,
                        num_layers=layers,
                        proj_size=proj,
                        residual=residual,
                    )
                    x, lengths = data(device)
                    out = enc(x, lengths)
                    D, Hout = 2 if bidirectional else 1, proj or H
                    assert enc.output_size == D * Hout
                    assert out.output.shape == (B, T, D * Hout)
                    assert out.last.shape == (B, D * Hout)
                    assert out.state.h.shape == (layers * D, B, Hout)
                    if lstm_like:
                        assert out.state.c is not None and out.state.c.shape == (layers * D, B, H)
                    else:
                        assert out.state.c is None


@pytest.mark.parametrize("kw", PATHS, ids=IDS)
def test_padding_values_never_change_valid_outputs(kw: dict[str, Any], device: torch.device) -> None:
    enc = make(device, **kw).eval()
    x, lengths = data(device)
    x2 = x.clone()
    for b, n in enumerate(LENGTHS):
        x2[b, n:] = 1e3 * torch.randn_like(x2[b, n:])
    a, b_ = enc(x, lengths), enc(x2, lengths)
    valid = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).to(device)
    torch.testing.assert_close(a.output[valid], b_.output[valid], rtol=0, atol=1e-12)
    torch.testing.assert_close(a.last, b_.last, rtol=0, atol=1e-12)
    torch.testing.assert_close(a.state.h, b_.state.h, rtol=0, atol=1e-12)
    assert a.output[~valid].abs().max() == 0 and b_.output[~valid].abs().max() == 0


@pytest.mark.parametrize("kw", PATHS, ids=IDS)
def test_packed_batch_equals_each_sequence_alone(kw: dict[str, Any], device: torch.device) -> None:
    enc = make(device, **kw).eval()
    x, lengths = data(device)
    out = enc(x, lengths)
    for b, n in enumerate(LENGTHS):
        alone = enc(x[b : b + 1, :n])
        torch.testing.assert_close(out.output[b, :n], alone.output[0], rtol=0, atol=1e-12)
        torch.testing.assert_close(out.last[b], alone.last[0], rtol=0, atol=1e-12)
        torch.testing.assert_close(out.state.h[:, b], alone.state.h[:, 0], rtol=0, atol=1e-12)
        if out.state.c is not None:
            torch.testing.assert_close(out.state.c[:, b], alone.state.c[:, 0], rtol=0, atol=1e-12)
    # extra padding steps beyond the longest sequence change nothing and come back as zeros
    longer = enc(torch.cat([x, torch.randn_like(x[:, :3])], dim=1), lengths)
    assert longer.output.shape[1] == T + 3 and longer.output[:, T:].abs().max() == 0
    torch.testing.assert_close(longer.output[:, :T], out.output, rtol=0, atol=1e-12)
    torch.testing.assert_close(longer.last, out.last, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kw", PATHS, ids=IDS)
def test_bidirectional_last_is_forward_at_last_step_and_reverse_at_step_zero(
    kw: dict[str, Any], device: torch.device
) -> None:
    enc = make(device, **kw).eval()
    x, lengths = data(device)
    out = enc(x, lengths)
    Hout = enc.output_size // 2
    for b, n in enumerate(LENGTHS):
        torch.testing.assert_close(out.last[b, :Hout], out.output[b, n - 1, :Hout], rtol=0, atol=0)
        torch.testing.assert_close(out.last[b, Hout:], out.output[b, 0, Hout:], rtol=0, atol=0)


@pytest.mark.parametrize("kw", PATHS[:2] + PATHS[4:6], ids=IDS[:2] + IDS[4:6])
def test_mask_argument_equals_lengths(kw: dict[str, Any], device: torch.device) -> None:
    enc = make(device, **kw).eval()
    x, lengths = data(device)
    mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).to(device)
    a, b_ = enc(x, lengths=lengths), enc(x, mask=mask)
    torch.testing.assert_close(a.output, b_.output, rtol=0, atol=0)
    torch.testing.assert_close(a.last, b_.last, rtol=0, atol=0)
    torch.testing.assert_close(enc(x, lengths=lengths, mask=mask).output, a.output, rtol=0, atol=0)
    assert lengths_from_mask(mask).tolist() == LENGTHS


def _copy_fused_into_loop(fused: RecurrentEncoder, loop: RecurrentEncoder) -> None:
    """Copies PyTorch's fused weights (weight_ih_l{k}[_reverse]...) into the loop cells."""
    with torch.no_grad():
        for k, layer in enumerate(loop.layers):
            assert isinstance(layer, LoopLayer)
            src, lk = (fused.rnn, k) if fused.rnn is not None else (fused.layers[k], 0)
            for d, cell in enumerate(layer.cells):
                suffix = f"_l{lk}" + ("_reverse" if d else "")
                for name, p in cell.named_parameters():
                    p.copy_(getattr(src, name + suffix))


LOOP_VS_FUSED: list[dict[str, Any]] = [
    dict(cell="lstm"),
    dict(cell="gru"),
    dict(cell="rnn_tanh"),
    dict(cell="rnn_relu", bidirectional=True),
    dict(cell="lstm", proj_size=3, bidirectional=True, num_layers=2),
    dict(cell="gru", bidirectional=True, num_layers=2),
    dict(cell="lstm", num_layers=2, residual=True, bidirectional=True),
]


@pytest.mark.parametrize(
    "kw", LOOP_VS_FUSED, ids=["-".join(f"{k}={v}" for k, v in p.items()) for p in LOOP_VS_FUSED]
)
def test_loop_backend_equals_fused_with_shared_weights(kw: dict[str, Any], device: torch.device) -> None:
    fused, loop = make(device, **kw), make(device, backend="loop", **kw)
    assert fused.config.uses_fused_kernel and not loop.config.uses_fused_kernel
    _copy_fused_into_loop(fused, loop)
    x, lengths = data(device)
    for lens in (None, lengths):
        xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
        a, b_ = fused(xa, lens), loop(xb, lens)
        for u, v in zip((a.output, a.last, a.state.h), (b_.output, b_.last, b_.state.h), strict=True):
            torch.testing.assert_close(u, v, rtol=1e-10, atol=1e-12)
        if a.state.c is not None:
            torch.testing.assert_close(a.state.c, b_.state.c, rtol=1e-10, atol=1e-12)
        (a.output.square().sum() + a.last.sum()).backward()
        (b_.output.square().sum() + b_.last.sum()).backward()
        torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-9, atol=1e-11)
    # parameter gradients, summed over both runs, match too
    fused_grads = {n: p.grad for n, p in fused.named_parameters()}
    for k, layer in enumerate(loop.layers):
        for d, cell in enumerate(layer.cells):
            for name, p in cell.named_parameters():
                key = (f"rnn.{name}_l{k}" if fused.rnn is not None else f"layers.{k}.{name}_l0") + (
                    "_reverse" if d else ""
                )
                torch.testing.assert_close(p.grad, fused_grads[key], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("option", ["zoneout", "recurrent_dropout"])
def test_zoneout_and_recurrent_dropout(option: str, device: torch.device) -> None:
    x, lengths = data(device)
    enc = make(device, cell="lstm", bidirectional=True, **{option: 0.5})
    plain = make(device, cell="lstm", bidirectional=True, backend="loop")
    plain.load_state_dict(enc.state_dict())
    enc.train()
    assert not torch.allclose(enc(x, lengths).output, enc(x, lengths).output)  # stochastic in training
    enc.eval()
    torch.testing.assert_close(enc(x, lengths).output, enc(x, lengths).output, rtol=0, atol=0)
    if option == "recurrent_dropout":  # evaluation uses no mask at all
        torch.testing.assert_close(enc(x, lengths).output, plain.eval()(x, lengths).output, rtol=0, atol=0)
    else:  # evaluation keeps the expectation p*prev + (1-p)*new, which differs from the plain cell
        assert not torch.allclose(enc(x, lengths).output, plain.eval()(x, lengths).output)
    tiny = make(device, cell="lstm", bidirectional=True, **{option: 1e-9}).train()
    tiny.load_state_dict(enc.state_dict())
    torch.testing.assert_close(
        tiny(x, lengths).output, plain.train()(x, lengths).output, rtol=1e-7, atol=1e-8
    )


def test_zoneout_training_keeps_previous_values(device: torch.device) -> None:
    """With zoneout p, about a fraction p of the units keep exactly their previous value at each step."""
    enc = make(device, cell="gru", hidden_size=64, zoneout=0.3).train()
    x = torch.randn(8, 20, IN, device=device, dtype=torch.float64)
    out = enc(x).output
    kept = (out[:, 1:] == out[:, :-1]).double().mean().item()
    assert 0.25 < kept < 0.35


@pytest.mark.parametrize("cell", ["ln_lstm", "peephole_lstm"])
def test_custom_cells_learn(cell: str) -> None:
    """Tiny task: label = sign of the sum of the first feature over the valid steps; loss must fall."""
    torch.manual_seed(0)
    enc = RecurrentEncoder(RecurrentConfig(input_size=2, hidden_size=12, cell=cell, bidirectional=True))
    head = torch.nn.Linear(enc.output_size, 1)
    opt = torch.optim.Adam([*enc.parameters(), *head.parameters()], lr=0.03)
    x = torch.randn(64, 8, 2)
    lengths = torch.randint(3, 9, (64,))
    valid = torch.arange(8).unsqueeze(0) < lengths.unsqueeze(1)
    y = ((x[..., 0] * valid).sum(1) > 0).float()
    losses = []
    for _ in range(60):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(head(enc(x, lengths).last).squeeze(1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses[::10]
    acc = ((head(enc(x, lengths).last).squeeze(1) > 0).float() == y).float().mean().item()
    assert acc > 0.85  # the majority class is about 0.5


@pytest.mark.parametrize(
    "kw",
    [
        dict(cell="lstm", num_layers=2),
        dict(cell="gru", residual=True, num_layers=2),
        dict(cell="ln_lstm"),
        dict(cell="peephole_lstm", proj_size=2),
        dict(cell="lstm", zoneout=0.3),
    ],
)
def test_stateful_chunks_equal_one_pass(kw: dict[str, Any], device: torch.device) -> None:
    enc = make(device, **kw).eval()
    x = torch.randn(B, 12, IN, device=device, dtype=torch.float64)
    full = enc(x)
    state = enc.init_hidden(B)
    torch.testing.assert_close(enc(x, state=state).output, full.output, rtol=0, atol=0)
    outs = []
    for chunk in x.split(5, dim=1):
        out = enc(chunk, state=state)
        state = enc.detach_hidden(out.state)
        assert state is not None and state.h.grad_fn is None
        outs.append(out.output)
    torch.testing.assert_close(torch.cat(outs, dim=1), full.output, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(state.h, full.state.h, rtol=1e-12, atol=1e-12)
    assert enc.detach_hidden(None) is None


def test_truncated_bptt_cuts_the_graph(device: torch.device) -> None:
    enc = make(device, cell="lstm")
    x = torch.randn(B, 4, IN, device=device, dtype=torch.float64, requires_grad=True)
    first = enc(x)
    second = enc(torch.randn_like(x), state=enc.detach_hidden(first.state))
    second.output.sum().backward()
    assert x.grad is None


def test_init_hidden_shapes(device: torch.device) -> None:
    enc = make(device, cell="lstm", num_layers=2, bidirectional=True, proj_size=2)
    s = enc.init_hidden(7)
    assert s.h.shape == (4, 7, 2) and s.c is not None and s.c.shape == (4, 7, H)
    assert s.h.dtype == torch.float64 and s.h.device.type == device.type
    assert make(device, cell="gru").init_hidden(3).c is None


def test_bad_inputs_raise_shape_error() -> None:
    cpu = torch.device("cpu")
    enc = make(cpu)
    x, lengths = data(cpu)
    bad: list[dict[str, Any]] = [
        dict(x=x[0]),
        dict(x=torch.randn(B, T, IN + 1, dtype=torch.float64)),
        dict(x=x[:, :0]),
        dict(x=x.float()),
        dict(x=x.long()),
        dict(x=x, lengths=torch.tensor([6, 4, 0, 5])),
        dict(x=x, lengths=torch.tensor([7, 4, 1, 5])),
        dict(x=x, lengths=torch.tensor([6, 4, 1])),
        dict(x=x, lengths=torch.tensor([6.0, 4.5, 1.0, 5.0])),
        dict(x=x, mask=torch.ones(B, T + 1, dtype=torch.bool)),
        dict(x=x, mask=torch.tensor([[1, 0, 1, 0, 0, 0]] * B, dtype=torch.bool)),
        dict(x=x, lengths=lengths, mask=torch.ones(B, T, dtype=torch.bool)),
        dict(
            x=x,
            state=State(torch.zeros(2, B, H, dtype=torch.float64), torch.zeros(1, B, H, dtype=torch.float64)),
        ),
        dict(x=x, state=State(torch.zeros(1, B, H, dtype=torch.float64), None)),
    ]
    for kw in bad:
        with pytest.raises(ShapeError):
            enc(**kw)
    with pytest.raises(ShapeError):
        make(cpu, cell="gru")(x, state=State(torch.zeros(1, B, H), torch.zeros(1, B, H)))
    with pytest.raises(ShapeError):
        lengths_from_mask(torch.ones(B, T, 1))


@pytest.mark.parametrize(
    "kw",
    [
        dict(cell="transformer"),
        dict(cell="gru", proj_size=2),
        dict(proj_size=H),
        dict(proj_size=-1),
        dict(dropout=-0.1),
        dict(zoneout=1.0),
        dict(recurrent_dropout=1.5),
        dict(backend="cudnn"),
        dict(init="xavier"),
        dict(num_layers=0),
        dict(hidden_size=4.5),
        dict(input_size=0),
    ],
)
def test_config_errors(kw: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        RecurrentConfig(**{"input_size": IN, "hidden_size": H, **kw})


def test_config_aliases_and_paths() -> None:
    assert RecurrentConfig(IN, H, cell="rnn").cell == "rnn_tanh"
    bi = RecurrentConfig(IN, H, cell="bilstm")
    assert bi.cell == "lstm" and bi.bidirectional and bi.output_size == 2 * H
    assert RecurrentConfig(IN, H).uses_fused_kernel
    for kw in (dict(cell="ln_lstm"), dict(zoneout=0.1), dict(recurrent_dropout=0.1), dict(backend="loop")):
        assert not RecurrentConfig(IN, H, **kw).uses_fused_kernel  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["ln_lstm", "lstm"])
def test_save_load_round_trip(cell: str, tmp_path: Any) -> None:
    enc = make(torch.device("cpu"), cell=cell, bidirectional=True, num_layers=2, proj_size=2).eval()
    x, lengths = data(torch.device("cpu"))
    save_module(enc, tmp_path / "enc")
    back = load_module(tmp_path / "enc").to(torch.float64).eval()
    assert isinstance(back, RecurrentEncoder) and back.config == enc.config
    torch.testing.assert_close(back(x, lengths).output, enc(x, lengths).output, rtol=0, atol=0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gradients_in_eval_mode(cell: str, device: torch.device) -> None:
    """Saliency / gradient x input needs backward through a model in eval mode; cuDNN refuses that, so the
    encoder must fall back to native kernels on CUDA and give the same gradients as in training mode."""
    enc = RecurrentEncoder(RecurrentConfig(4, 8, cell=cell, bidirectional=True, num_layers=2)).to(device)
    x = torch.randn(3, 6, 4, device=device, requires_grad=True)
    lengths = torch.tensor([6, 4, 2])
    enc.train()
    enc(x, lengths).last.sum().backward()
    train_grad = x.grad.clone()
    x.grad = None
    enc.eval()
    enc(x, lengths).last.sum().backward()
    assert torch.isfinite(x.grad).all()
    # No dropout, so the modes agree; on CUDA training mode runs cuDNN, which uses TF32 matmuls by default.
    tol = dict(rtol=2e-2, atol=1e-3) if device.type == "cuda" else dict(rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(x.grad, train_grad, **tol)


def test_dropout_with_one_layer_is_one_warning_naming_the_fix(caplog: pytest.LogCaptureFixture) -> None:
    """``RecurrentConfig(dropout=0.3)`` with one layer did nothing, silently (nn.LSTM warns in that case; the
    encoder passed it 0 and said nothing). Now one warning names the fixes; where dropout acts, none."""
    with caplog.at_level("WARNING", logger="carrousel"):
        RecurrentEncoder(RecurrentConfig(IN, H, dropout=0.3))
    lines = [r.getMessage() for r in caplog.records if "dropout" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "dropout=0.3 does nothing with num_layers=1" in lines[0]
    assert all(
        fix in lines[0] for fix in ("num_layers >= 2", "nn.Dropout", "recurrent_dropout", "dropout=0.0")
    )
    caplog.clear()
    with caplog.at_level("WARNING", logger="carrousel"):
        RecurrentEncoder(RecurrentConfig(IN, H, dropout=0.3, num_layers=2))
        RecurrentEncoder(RecurrentConfig(IN, H, dropout=0.3, num_layers=2, residual=True))
        RecurrentEncoder(RecurrentConfig(IN, H, recurrent_dropout=0.3))
        RecurrentEncoder(RecurrentConfig(IN, H))
    assert [r.getMessage() for r in caplog.records if "dropout" in r.getMessage()] == []

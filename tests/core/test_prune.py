"""carrousel.core.prune: magnitude masks (levels, kept through the Trainer) and structured unit removal
(exact for dead units, shapes, configs, bundles)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.errors import ConfigError
from carrousel.core.nn import (
    RecurrentConfig,
    RecurrentEncoder,
    SequenceClassifier,
    SequenceClassifierConfig,
    SequenceRegressor,
    SequenceRegressorConfig,
)
from carrousel.core.nn.recurrent import FUSED_CELLS
from carrousel.core.prune import (
    MagnitudePruner,
    PruneCallback,
    prune_encoder_units,
    prune_units,
    slice_linear_inputs,
    sparsity,
    unit_scores,
)
from carrousel.core.prune.structured import _GATES, _param_keys
from carrousel.core.train import Task, TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")

DT = torch.float64


def _classifier(**enc: object) -> SequenceClassifier:
    cfg = SequenceClassifierConfig(RecurrentConfig(4, 8, **enc), num_classes=3)  # type: ignore[arg-type]
    return SequenceClassifier(cfg)


# ------------------------------------------------------------------------------------------ magnitude
@pytest.mark.parametrize("amount", [0.3, 0.75])
def test_global_magnitude_reaches_the_asked_sparsity_and_cuts_the_smallest(amount: float) -> None:
    model = _classifier(num_layers=2, bidirectional=True)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    pruner = MagnitudePruner(model, amount)
    assert pruner.sparsity() == pytest.approx(amount, abs=1.0 / pruner.total)
    assert sparsity(model) == pytest.approx(amount, abs=1.0 / pruner.total)
    kept = torch.cat([p.detach().abs().flatten() for p in pruner.params.values()])
    cut = torch.cat([(before[n].abs() * (1 - pruner.masks[n])).flatten() for n in pruner.params])
    assert cut.max() <= kept[kept > 0].min()  # one global threshold
    assert torch.equal(model.head.linear.bias, before["head.linear.bias"])  # biases untouched


def test_layer_scope_prunes_each_matrix_by_the_amount() -> None:
    model = _classifier(num_layers=2)
    pruner = MagnitudePruner(model, 0.5, scope="layer")
    for name, p in pruner.params.items():
        assert float((p == 0).double().mean()) == pytest.approx(0.5, abs=1.0 / p.numel()), name


def test_magnitude_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="amount must be in"):
        MagnitudePruner(_classifier(), 1.0)
    with pytest.raises(ConfigError, match="scope must be one of"):
        MagnitudePruner(_classifier(), 0.5, scope="row")
    with pytest.raises(ConfigError, match="no parameter to prune"):
        MagnitudePruner(_classifier(), 0.5, include=lambda n, p: False)


class _Cls(Task):
    def forward(self, model: nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
        return model(batch[0], batch[1])

    def loss(self, outputs: torch.Tensor, batch: list[torch.Tensor]) -> torch.Tensor:
        return nn.functional.cross_entropy(outputs, batch[2])


def test_masks_survive_fine_tuning_with_the_trainer_then_become_permanent() -> None:
    model = _classifier(bidirectional=True)
    pruner = MagnitudePruner(model, 0.6)
    zero = {n: p.detach() == 0 for n, p in pruner.params.items()}
    start = {n: p.detach().clone() for n, p in pruner.params.items()}
    x, y = torch.randn(64, 6, 4), torch.randint(0, 3, (64,))
    lengths = torch.randint(2, 7, (64,))
    cfg = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu", weight_decay=0.1)
    Trainer(model, _Cls(), cfg, callbacks=[PruneCallback(pruner)]).fit(
        DataLoader(TensorDataset(x, lengths, y), batch_size=16)
    )
    for n, p in pruner.params.items():
        assert torch.all(p[zero[n]] == 0), n  # AdamW momentum and weight decay did not revive them
        if bool((~zero[n]).any()):  # (a global threshold can empty a small-valued matrix)
            assert not torch.equal(p[~zero[n]], start[n][~zero[n]]), n  # the rest trained
    model = pruner.make_permanent()
    assert pruner.masks == {} and sparsity(model) == pytest.approx(0.6, abs=1e-3)


# ----------------------------------------------------------------------------------------- structured
def _kill_units(model: nn.Module, dead: list[int]) -> None:
    """Zeroes every weight attached to hidden units ``dead`` of every layer and direction."""
    enc: RecurrentEncoder = model.encoder  # type: ignore[assignment]
    cfg = enc.config
    H, D, G = cfg.hidden_size, cfg.directions, _GATES[cfg.cell]
    sd = enc.state_dict()
    with torch.no_grad():
        for layer, dirs in enumerate(_param_keys(enc)):
            for keys in dirs:
                for kind, key in keys.items():
                    w = sd[key]
                    if kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                        w[[g * H + j for g in range(G) for j in dead]] = 0
                    if kind == "weight_hr" or (kind in ("weight_hh", "peephole") and not cfg.proj_size):
                        w[:, dead] = 0
                    if kind == "weight_ih" and layer > 0 and not cfg.proj_size:
                        w[:, [d * H + j for d in range(D) for j in dead]] = 0
        if not cfg.proj_size:  # what reads the top layer: the head, an attention pooling
            for name, w in model.state_dict().items():
                if not name.startswith("encoder.") and w.dim() == 2 and w.shape[1] == cfg.output_size:
                    w[:, [d * H + j for d in range(D) for j in dead]] = 0


@pytest.mark.parametrize(
    "enc",
    [
        {"num_layers": 2, "bidirectional": True},
        {"cell": "gru", "num_layers": 2, "bidirectional": True},
        {"cell": "peephole_lstm", "num_layers": 2},
        {"num_layers": 2, "bidirectional": True, "proj_size": 3},
        {"num_layers": 2, "bidirectional": True, "zoneout": 0.1},
        {"cell": "rnn_tanh"},
    ],
)
@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_removing_dead_units_leaves_outputs_unchanged(enc: dict, pooling: str) -> None:
    cfg = SequenceClassifierConfig(RecurrentConfig(4, 8, **enc), num_classes=3, pooling=pooling)
    model = SequenceClassifier(cfg).to(DT).eval()
    if enc.get("cell") == "peephole_lstm":
        for layer in model.encoder.layers:
            for cell in layer.cells:  # type: ignore[union-attr]
                nn.init.normal_(cell.peephole)
    dead = [1, 4, 6]
    _kill_units(model, dead)
    scores = unit_scores(model.encoder, [model.head.linear.weight])
    assert all(torch.all(s[:, dead] == 0) and torch.all(s[:, [0, 2, 3, 5, 7]] > 0) for s in scores)
    x = torch.randn(5, 7, 4, dtype=DT)
    lengths = torch.tensor([7, 3, 5, 1, 6])
    small = prune_units(model, amount=3 / 8)
    assert small.config.encoder.hidden_size == 5 and small.encoder.config.hidden_size == 5
    assert dataclasses.replace(small.config.encoder, hidden_size=8) == cfg.encoder
    torch.testing.assert_close(small(x, lengths), model(x, lengths), rtol=1e-12, atol=1e-12)
    assert small.encoder.config.uses_fused_kernel == (
        cfg.encoder.cell in FUSED_CELLS and not enc.get("zoneout")
    )
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in model.parameters())


def test_shapes_of_a_pruned_bidirectional_stack() -> None:
    enc = RecurrentEncoder(RecurrentConfig(6, 10, num_layers=2, bidirectional=True))
    small, cols = prune_encoder_units(enc, hidden=4)
    rnn = small.rnn
    assert rnn is not None and rnn.hidden_size == 4
    assert rnn.weight_ih_l0.shape == (16, 6) and rnn.weight_hh_l0_reverse.shape == (16, 4)
    assert rnn.weight_ih_l1.shape == (16, 8) and rnn.bias_hh_l1_reverse.shape == (16,)
    assert cols.shape == (8,) and bool((cols[:4] < 10).all()) and bool((cols[4:] >= 10).all())
    out = small(torch.randn(2, 5, 6), torch.tensor([5, 2]))
    assert out.output.shape == (2, 5, 8) and out.last.shape == (2, 8)


def test_slice_linear_inputs_keeps_the_chosen_columns_exactly() -> None:
    lin = nn.Linear(6, 3)
    cols = torch.tensor([0, 2, 5])
    small = slice_linear_inputs(lin, cols)
    x = torch.randn(4, 6)
    x[:, [1, 3, 4]] = 0
    torch.testing.assert_close(small(x[:, cols]), lin(x))


def test_pruned_model_round_trips_through_a_bundle(tmp_path: Path) -> None:
    cfg = SequenceRegressorConfig(RecurrentConfig(3, 12, bidirectional=True), out_features=2)
    small = prune_units(SequenceRegressor(cfg), amount=0.5).eval()
    path = Bundle(kind="test.pruned", model=small).save(tmp_path / "model")
    loaded = load_bundle(path, kind="test.pruned").model
    assert loaded.config == small.config and loaded.config.encoder.hidden_size == 6
    x = torch.randn(4, 9, 3)
    torch.testing.assert_close(loaded(x), small(x), rtol=0, atol=0)


class _Bare(nn.Module):
    """A model whose config does not hold its encoder's (as a domain model with its own sizes)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.config = {"hidden": hidden}
        self.encoder = RecurrentEncoder(RecurrentConfig(4, hidden, bidirectional=True))
        self.out = nn.Linear(2 * hidden, 3)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.out(self.encoder(x, lengths).last)


def test_rebuild_prunes_a_model_whose_config_holds_no_encoder() -> None:
    """``rebuild`` builds the smaller model around the smaller encoder; the layers reading the encoder are
    sliced as on the default path, so removing dead units leaves the outputs unchanged."""
    model = _Bare(8).to(DT).eval()
    _kill_units(model, [0, 3, 7])
    small = prune_units(model, amount=3 / 8, rebuild=lambda enc: _Bare(enc.hidden_size)).to(DT).eval()
    assert isinstance(small, _Bare) and small.encoder.config.hidden_size == 5 and small.out.in_features == 10
    x, lengths = torch.randn(4, 6, 4, dtype=DT), torch.tensor([6, 2, 5, 1])
    torch.testing.assert_close(small(x, lengths), model(x, lengths), rtol=1e-12, atol=1e-12)
    with pytest.raises(ConfigError, match=r"has no \.encoder"):
        prune_units(nn.Linear(2, 2), amount=0.5, rebuild=lambda enc: nn.Linear(2, 2))


def test_structured_pruning_refuses_what_it_cannot_do() -> None:
    with pytest.raises(ConfigError, match="not 'ln_lstm'"):
        prune_units(_classifier(cell="ln_lstm"), amount=0.5)
    with pytest.raises(ConfigError, match="residual"):
        prune_units(_classifier(num_layers=2, residual=True), amount=0.5)
    with pytest.raises(ConfigError, match="exactly one of"):
        prune_units(_classifier(), amount=0.5, hidden=4)
    with pytest.raises(ConfigError, match=r"hidden must be in \[1, 8\]"):
        prune_units(_classifier(), hidden=9)
    with pytest.raises(ConfigError, match="must stay above proj_size"):
        prune_units(_classifier(proj_size=4), hidden=4)
    with pytest.raises(ConfigError, match=r"has no \.encoder"):
        prune_units(nn.Linear(2, 2), amount=0.5)


def test_a_cell_of_ones_own_is_refused_without_the_layer_norm_reason() -> None:
    """A user's registered cell (here a minimal gated unit) was refused 'its layer norms would change with
    the unit count', a reason that is ln_lstm's alone; the reason now comes with ln_lstm only."""
    from carrousel.core.nn import CELLS, LoopCell, State

    @CELLS.register("test.prune_mgu")
    class _MGU(LoopCell):
        gates = 2

        def step(self, xw: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None) -> State:
            hw = nn.functional.linear(h, self.weight_hh)
            f = torch.sigmoid(xw[:, : self.hidden_size] + hw[:, : self.hidden_size])
            n = torch.tanh(xw[:, self.hidden_size :] + f * hw[:, self.hidden_size :])
            return State((1 - f) * h + f * n, None)

    try:
        with pytest.raises(ConfigError, match=r"not 'test\.prune_mgu'; use magnitude pruning$"):
            prune_units(_classifier(cell="test.prune_mgu"), amount=0.5)
    finally:  # the registry is process-wide: other tests enumerate its cells
        CELLS._items.pop("test.prune_mgu", None)
    with pytest.raises(ConfigError, match=r"not 'ln_lstm' \(its layer norms would change"):
        prune_units(_classifier(cell="ln_lstm"), amount=0.5)

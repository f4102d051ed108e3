"""Feature ("hint") distillation (carrousel.core.train.hint): the cosine term against a hand computation,
beta 0 giving the distillation loss bit for bit, and a toy student whose trainer optimises the projection,
which stays out of the student's weights."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.train import (
    DistillationTask,
    DistillConfig,
    HintDistillationTask,
    HintOutputs,
    HintStudent,
    Task,
    TrainConfig,
    Trainer,
    hint_loss,
)


class _Classify(Task):
    def forward(self, model: nn.Module, batch: tuple[Tensor, ...], *state: object) -> Tensor:
        out: Tensor = model(batch[0])
        return out

    def loss(self, outputs: Tensor, batch: tuple[Tensor, ...]) -> Tensor:
        return nn.functional.cross_entropy(outputs, batch[1])


class _Student(nn.Module):
    """x (B, 6) -> body -> pooled features (B, 8) -> dropout -> head (B, 2)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 8), nn.Tanh())
        self.dropout = nn.Dropout(0.0)
        self.head = nn.Linear(8, 2)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.head(self.dropout(self.body(x)))
        return out


def _teacher_data(n: int = 256) -> TensorDataset:
    """Inputs, labels, teacher logits and the teacher's 5-d normalised features (a fixed function of x)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 6, generator=g)
    features = nn.functional.normalize(torch.tanh(x @ torch.randn(6, 5, generator=g)), dim=-1)
    logits = features @ torch.randn(5, 2, generator=g) * 3
    return TensorDataset(x, logits.argmax(1), logits, features)


def _task(beta: float) -> HintDistillationTask:
    return HintDistillationTask(
        _Classify(),
        DistillConfig(temperature=2.0, alpha=0.7),
        beta=beta,
        teacher_features=lambda b: b[3],
        targets=lambda b: b[1],
        teacher_logits=lambda b: b[2],
    )


def test_hint_loss_is_one_minus_cosine_over_rows_with_teacher_features() -> None:
    s = torch.tensor([[1.0, 0.0], [1.0, 1.0], [3.0, -1.0]], requires_grad=True)
    t = torch.tensor([[0.0, 2.0], [1.0, 0.0], [0.0, 0.0]])  # the third row: no features, no term
    expected = ((1 - 0.0) + (1 - 1 / math.sqrt(2))) / 2
    got = hint_loss(s, t)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    got.backward()
    assert s.grad is not None and s.grad[2].abs().sum() == 0  # the featureless row gets no gradient
    assert hint_loss(3 * t[:2], t[:2]).item() == pytest.approx(0.0, abs=1e-6)  # the scale is free
    none = hint_loss(s, torch.zeros(3, 2))
    assert none.item() == 0.0 and none.requires_grad  # a batch without features: 0, never NaN
    with pytest.raises(ShapeError, match="one shape"):
        hint_loss(s, torch.zeros(3, 3))


def test_beta_zero_is_the_distillation_loss_bit_for_bit() -> None:
    torch.manual_seed(0)
    student = _Student()
    wrapped = HintStudent(student, student.dropout, 8, 5)
    batch = tuple(_teacher_data(32).tensors)
    plain = DistillationTask(
        _Classify(),
        DistillConfig(temperature=2.0, alpha=0.7),
        targets=lambda b: b[1],
        teacher_logits=lambda b: b[2],
    )
    expected = plain.loss(plain.forward(student, batch), batch)
    outputs = _task(0.0).forward(wrapped, batch)
    assert isinstance(outputs, HintOutputs) and outputs.features.shape == (32, 5)
    assert torch.equal(outputs.outputs, student(batch[0]))  # the student's outputs, unchanged
    assert torch.equal(_task(0.0).loss(outputs, batch), expected)
    with_hint = _task(0.5).loss(outputs, batch)
    extra = 0.5 * hint_loss(outputs.features, batch[3])
    assert with_hint.item() == pytest.approx((expected + extra).item(), rel=1e-6)


def test_trainer_optimises_the_projection_and_the_student_keeps_none_of_it() -> None:
    torch.manual_seed(0)
    student = _Student()
    model = HintStudent(student, student.dropout, 8, 5)
    before = {k: v.clone() for k, v in model.projection.state_dict().items()}
    data = _teacher_data()
    task = _task(1.0)

    def term() -> float:
        model.eval()
        with torch.no_grad():
            batch = tuple(data.tensors)
            return hint_loss(task.forward(model, batch).features, batch[3]).item()

    start = term()
    loader = DataLoader(data, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    trainer = Trainer(model, task, TrainConfig(epochs=30, lr=2e-2, progress=False, device="cpu"))
    optimised = {id(p) for group in trainer.optimizer.param_groups for p in group["params"]}
    assert {id(p) for p in model.projection.parameters()} <= optimised
    result = trainer.fit(loader, loader)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    end = term()
    assert end < 0.5 * start, (start, end)  # the projected features turned towards the teacher's
    assert all(not torch.equal(before[k], v) for k, v in model.projection.state_dict().items())
    assert set(student.state_dict()) == set(_Student().state_dict())  # what a bundle would save
    assert model.features is None  # taken by the task: no graph kept between steps


def test_misuse_is_refused_up_front() -> None:
    student = _Student()
    with pytest.raises(ConfigError, match="beta"):
        _task(-1.0)
    with pytest.raises(ConfigError, match="submodule"):
        HintStudent(student, nn.Linear(8, 2), 8, 5)
    batch = tuple(_teacher_data(4).tensors)
    with pytest.raises(TypeError, match="HintStudent"):
        _task(1.0).forward(student, batch)

"""Knowledge distillation (carrousel.core.train.distill): the loss against a hand computation, the meaning
of temperature and alpha, and a student that learns a teacher's function from its soft targets."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.train import (
    DistillationTask,
    DistillConfig,
    Task,
    TrainConfig,
    Trainer,
    distillation_loss,
    soft_loss,
    soft_targets,
)


def _softmax(z: list[float]) -> list[float]:
    e = [math.exp(v) for v in z]
    return [v / sum(e) for v in e]


def test_loss_matches_a_hand_computation() -> None:
    """alpha * T^2 * KL(p_t || p_s) at T, plus (1 - alpha) * CE at T = 1, written out with math."""
    s, t, y, temp, alpha = [1.0, 2.0, 0.5], [2.0, 0.0, 1.0], 1, 2.0, 0.3
    ps = _softmax([v / temp for v in s])
    pt = _softmax([v / temp for v in t])
    kl = sum(a * math.log(a / b) for a, b in zip(pt, ps, strict=True))
    ce = -math.log(_softmax(s)[y])
    expected = alpha * temp**2 * kl + (1 - alpha) * ce
    got = distillation_loss(torch.tensor([s]), torch.tensor([t]), torch.tensor([y]), temp, alpha)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    # the two ends of alpha: labels only, teacher only
    assert distillation_loss(torch.tensor([s]), torch.tensor([t]), torch.tensor([y]), temp, 0.0).item() == (
        pytest.approx(ce, rel=1e-6)
    )
    assert distillation_loss(torch.tensor([s]), torch.tensor([t]), None, temp, 0.3).item() == pytest.approx(
        temp**2 * kl, rel=1e-6
    )
    assert soft_targets(torch.tensor([t]), temp)[0].tolist() == pytest.approx(pt, rel=1e-6)


def test_unlabelled_rows_feed_only_the_soft_term() -> None:
    s = torch.tensor([[1.0, -1.0], [0.2, 0.4], [3.0, 0.0]])
    t = torch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    mixed = distillation_loss(s, t, torch.tensor([0, -100, -100]), 3.0, 0.4)
    soft = distillation_loss(s, t, None, 3.0)
    hard = nn.functional.cross_entropy(s[:1], torch.tensor([0]))
    assert mixed.item() == pytest.approx(0.4 * soft.item() + 0.6 * hard.item(), rel=1e-6)
    # a batch without any label: the hard term is 0, never NaN
    none = distillation_loss(s, t, torch.tensor([-100, -100, -100]), 3.0, 0.4)
    assert none.item() == pytest.approx(0.4 * soft.item(), rel=1e-6)
    # a student equal to its teacher has no soft loss
    assert distillation_loss(t, t, None, 5.0).item() == pytest.approx(0.0, abs=1e-7)


def test_t_squared_keeps_soft_gradients_on_one_scale() -> None:
    """Without T^2 the soft gradients would shrink as 1/T^2; with it they tend to (s - t) / C."""
    t = torch.tensor([[1.0, -0.5, 0.3, -0.8]])
    grads = []
    for temp in (10.0, 20.0, 40.0):
        s = torch.tensor([[0.2, 0.1, -0.4, 0.1]], requires_grad=True)
        distillation_loss(s, t, None, temp).backward()
        assert s.grad is not None
        grads.append(s.grad[0])
    diff = torch.tensor([0.2, 0.1, -0.4, 0.1]) - t[0]
    limit = (diff - diff.mean()) / 4
    errors = [float((g - limit).abs().max()) for g in grads]
    assert errors[0] < 0.01 and errors[1] < errors[0] * 0.6 and errors[2] < errors[1] * 0.6, errors
    # without the T^2 factor the same gradients would be 100, 400 and 1,600 times smaller


def test_config_and_arguments_are_validated() -> None:
    with pytest.raises(ConfigError, match="temperature"):
        DistillConfig(temperature=0.0)
    with pytest.raises(ConfigError, match="alpha"):
        DistillConfig(alpha=1.5)
    with pytest.raises(ShapeError, match="differ in shape"):
        distillation_loss(torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(
        ConfigError, match="exactly one"
    ):  # a CarrouselError (the CLIs' one line), was ValueError
        DistillationTask(_Task())
    with pytest.raises(ConfigError, match="stateful"):
        DistillationTask(type("Stateful", (_Task,), {"stateful": True})(), teacher_logits=lambda b: b[1])
    with pytest.raises(ConfigError, match="unknown"):
        soft_loss(torch.zeros(2, 3), torch.zeros(2, 3), "kl")  # type: ignore[arg-type]


class _Task(Task):
    """Batches ``(x, y, ...)``; cross-entropy; accuracy."""

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Tensor:
        out: Tensor = model(batch[0])
        return out

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return nn.functional.cross_entropy(outputs, batch[1])

    def metrics(self) -> dict[str, Any]:
        from carrousel.core.metrics import Accuracy

        return {"accuracy": Accuracy()}

    def update_metrics(self, metrics: dict[str, Any], outputs: Tensor, batch: Any) -> None:
        metrics["accuracy"].update(outputs, batch[1])


def _teacher() -> nn.Module:
    """A fixed random 3-class function of 6 inputs with curved boundaries."""
    torch.manual_seed(123)
    net = nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 3))
    with torch.no_grad():
        net[2].weight.mul_(4.0)
    return net.eval()


def _student(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 3))


def _agreement(model: nn.Module, teacher: nn.Module, x: Tensor) -> float:
    with torch.no_grad():
        return float((model.eval()(x).argmax(1) == teacher(x).argmax(1)).float().mean())


@pytest.mark.parametrize("on_the_fly", [False, True])
def test_student_learns_the_teachers_function_from_a_transfer_set(on_the_fly: bool) -> None:
    """30 labelled rows plus 1,500 unlabelled ones the teacher scores: the distilled student agrees with the
    teacher on >= 93% of new inputs (the teacher's own accuracy there), at least 5 points more than
    the same student trained on the 30 labels alone."""
    torch.set_num_threads(1)
    teacher = _teacher()
    g = torch.Generator().manual_seed(0)
    x_lab, x_unl, x_test = (torch.randn(n, 6, generator=g) for n in (30, 1500, 2000))
    with torch.no_grad():
        y_lab = teacher(x_lab).argmax(1)
        y_test = teacher(x_test).argmax(1)
    cfg = TrainConfig(epochs=40, lr=1e-2, patience=None, seed=0, progress=False)

    plain = _student(1)
    Trainer(plain, _Task(), cfg).fit(DataLoader(TensorDataset(x_lab, y_lab), batch_size=32, shuffle=True))

    x = torch.cat([x_lab, x_unl])
    y = torch.cat([y_lab, torch.full((len(x_unl),), -100)])
    with torch.no_grad():
        t_logits = teacher(x)
    distilled = _student(1)
    if on_the_fly:
        task = DistillationTask(_Task(), DistillConfig(2.0, 0.9), targets=lambda b: b[1], teacher=teacher)
    else:
        task = DistillationTask(
            _Task(), DistillConfig(2.0, 0.9), targets=lambda b: b[1], teacher_logits=lambda b: b[2]
        )
    loader = DataLoader(TensorDataset(x, y, t_logits), batch_size=64, shuffle=True)
    Trainer(distilled, task, cfg).fit(loader)

    teacher_acc = 1.0  # the teacher defines the labels here
    got = _agreement(distilled, teacher, x_test)
    base = _agreement(plain, teacher, x_test)
    assert got >= teacher_acc - 0.07, (got, base)
    assert got >= base + 0.05, (got, base)  # measured: 0.94 against 0.88
    assert float((distilled(x_test).argmax(1) == y_test).float().mean()) == pytest.approx(got)


def test_an_on_the_fly_teacher_is_not_frozen() -> None:
    """The task runs the teacher under no_grad and leaves its parameters' requires_grad alone: it set them
    all False, so a layer the student shares with the teacher silently stopped training, and training the
    teacher again afterwards failed ("no trainable parameters"; the domains put requires_grad back)."""
    teacher = _teacher()
    shared = teacher[0]
    student = nn.Sequential(shared, nn.Tanh(), nn.Linear(32, 3))  # the student reuses the first layer
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 6, generator=g)
    loader = DataLoader(TensorDataset(x, torch.randint(0, 3, (64,), generator=g)), batch_size=16)
    task = DistillationTask(_Task(), targets=lambda b: b[1], teacher=teacher)
    before = shared.weight.detach().clone()
    Trainer(student, task, TrainConfig(epochs=1, lr=1e-2, progress=False)).fit(loader)
    assert all(p.requires_grad for p in teacher.parameters())
    assert not torch.equal(shared.weight, before)  # the shared layer trained with the student
    Trainer(teacher, _Task(), TrainConfig(epochs=1, progress=False)).fit(loader)  # raised ConfigError


def test_an_alpha_without_targets_is_warned_of(caplog: pytest.LogCaptureFixture) -> None:
    """``DistillationTask(task, DistillConfig(alpha=0.5), teacher=t)``: softmax distillation takes its hard
    term from ``targets=...`` only, so the wrapped task's loss and alpha were silently unused (the loss was
    the soft term alone, bit for bit the alpha=1 loss). It is warned of; targets or alpha=1 say nothing."""
    teacher = nn.Linear(3, 2)
    name = "carrousel.core.train.distill"
    with caplog.at_level("WARNING", logger=name):
        DistillationTask(_Task(), DistillConfig(alpha=0.5), teacher=teacher)
    warned = [r.getMessage() for r in caplog.records if r.name == name]
    assert len(warned) == 1 and warned[0].startswith("DistillationTask: alpha=0.5 has no effect")
    assert "pass targets=lambda batch:" in warned[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger=name):
        DistillationTask(_Task(), DistillConfig(alpha=0.5), targets=lambda b: b[1], teacher=teacher)
        DistillationTask(_Task(), DistillConfig(alpha=1.0), teacher=teacher)
        DistillationTask(_Task(), DistillConfig(alpha=0.5, kind="mse"), teacher=teacher)
    assert [r for r in caplog.records if r.name == name] == []

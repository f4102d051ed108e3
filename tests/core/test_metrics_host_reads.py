"""A classification metric's update reads the device once per batch (accuracy read it twice on main, F1,
precision and recall three times (the NaN, negative-label and
top-label checks, each an ``int``/``bool`` of a device tensor, and the boolean index of the true
positives; bincount, a sixth wait on a GPU, is not counted here). The checks now go back in one small
tensor read once, with main's error messages, and the counts are main's to the bit. Counted on the CPU with
tensors marked as on the device (tests/host_reads.py)."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.metrics import F1, Accuracy, Metric, Precision, Recall, to_labels
from tests.host_reads import host_reads, on_device


def _main_labels(
    preds: Tensor, target: Tensor, ignore: int | None, threshold: float = 0.5
) -> tuple[Tensor, Tensor]:
    """Main's to_labels (checks left out): the positions kept, flat."""
    if preds.is_floating_point() and preds.dim() == target.dim() + 1:
        labels = preds.squeeze(-1) >= threshold if preds.shape[-1] == 1 else preds.argmax(-1)
    else:
        labels = preds >= threshold if preds.is_floating_point() else preds
    labels, flat = labels.reshape(-1).long(), target.reshape(-1).long()
    if ignore is not None:
        keep = flat != ignore
        labels, flat = labels[keep], flat[keep]
    return labels, flat


def _main_counts(labels: Tensor, flat: Tensor, n: int) -> dict[str, Tensor]:
    return {
        "tp": torch.bincount(flat[labels == flat], minlength=n),
        "predicted": torch.bincount(labels, minlength=n),
        "actual": torch.bincount(flat, minlength=n),
    }


@pytest.mark.parametrize("ignore", [None, -100, 0])
def test_counts_and_values_are_mains_to_the_bit(ignore: int | None) -> None:
    gen = torch.Generator().manual_seed(7)
    made: list[Metric] = [Accuracy(ignore_index=ignore), F1("macro", ignore_index=ignore)]
    made += [cls("macro", ignore_index=ignore) for cls in (Precision, Recall)]
    batches = []
    for b in range(5):
        classes = 2 + b  # the classes grow: the per-class states are padded
        preds = torch.randn(7, 3, classes, generator=gen)
        target = torch.randint(0, classes, (7, 3), generator=gen)
        target[0, :2] = -100 if ignore == -100 else target[0, :2]
        batches.append((preds, target))
        for m in made:
            with host_reads() as r:
                m.update(on_device(preds), on_device(target))
            assert len(r) == 1
    correct = count = 0.0
    sums: dict[str, Tensor] = {}
    for preds, target in batches:
        labels, flat = _main_labels(preds, target, ignore)
        correct, count = correct + float((labels == flat).sum()), count + flat.numel()
        n = int(torch.maximum(labels.max(), flat.max())) + 1
        for k, v in _main_counts(labels, flat, n).items():
            old = sums.get(k, torch.zeros(0, dtype=torch.long))
            size = max(old.numel(), v.numel())
            sums[k] = torch.nn.functional.pad(old, (0, size - old.numel())) + torch.nn.functional.pad(
                v, (0, size - v.numel())
            )
    assert made[0]._sums["correct"].item() == correct and made[0]._sums["count"].item() == count
    for m in made[1:]:
        for k, v in sums.items():
            assert torch.equal(m._sums[k], v.double()), k
        assert m._sums["tp"].dtype == torch.float64
    assert made[0].compute() == correct / count


def test_binary_scores_and_labels_keep_their_counts() -> None:
    scores = torch.tensor([0.2, 0.7, 0.5, 0.9, 0.1])
    target = torch.tensor([0, 1, 0, 0, 1])
    for preds in (scores, scores >= 0.5, scores.unsqueeze(-1)):
        m = F1()
        with host_reads() as r:
            m.update(on_device(preds), on_device(target))
        assert r == ["tolist"]
        labels, flat = _main_labels(preds, target, None)
        for k, v in _main_counts(labels, flat, 2).items():
            assert torch.equal(m._sums[k], v.double())
    assert to_labels(scores, target, ignore_index=0)[0].tolist() == [1, 0]


@pytest.mark.parametrize(
    ("make", "preds", "target", "error", "message"),
    [
        (Accuracy, [[0.0, float("nan")], [1.0, 0.0]], [1, 0], DataError, "NaN at 1 of 2 positions"),
        (lambda: F1(ignore_index=-1), [[0.0, float("nan")], [1.0, 0.0]], [-1, 0], None, ""),
        (Accuracy, [[0.0, 1.0], [1.0, 0.0]], [-2, 0], DataError, "class labels must be non-negative"),
        (Accuracy, [[0.0, 1.0], [1.0, 0.0]], [0.5, 1.0], ShapeError, "integer class indices"),
        (Accuracy, [[0.0, 1.0, 2.0]], [0.5, 1.0], ShapeError, "integer class indices"),
        (Accuracy, [[0.0, 1.0, 2.0]], [0, 1], ShapeError, "do not fit target"),
        (F1, [[0.0, 1.0, 2.0]], [0], ConfigError, "average='binary' needs labels in {0, 1}, found label 2"),
        (lambda: F1("macro", num_classes=3), [[0.0, 0.0, 0.0, 1.0]], [0], DataError, "label 3 is out of"),
    ],
)
def test_the_checks_give_mains_errors(
    make: object, preds: list, target: list, error: type | None, message: str
) -> None:
    metric = make()  # type: ignore[operator]
    if error is None:
        metric.update(torch.tensor(preds), torch.tensor(target))  # NaN at an ignored position is no error
        return
    with pytest.raises(error, match=message.replace("(", r"\(").replace("{", r"\{").replace("}", r"\}")):
        metric.update(torch.tensor(preds), torch.tensor(target))


def test_an_all_ignored_or_empty_batch_counts_nothing() -> None:
    m, a = F1(ignore_index=-1), Accuracy(ignore_index=-1)
    for metric in (m, a):
        metric.update(torch.zeros(3, 2), torch.full((3,), -1))
        metric.update(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))
    assert m._sums["actual"].sum().item() == 0 and a._sums["count"].item() == 0
    with pytest.raises(DataError, match="no samples were seen"):
        a.compute()

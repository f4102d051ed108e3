"""Metrics against scikit-learn, batch accumulation against all-at-once, and a 2-process gloo reduction."""

from __future__ import annotations

import runpy
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn import metrics as skm

from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.metrics import (
    F1,
    PRAUC,
    ROCAUC,
    Accuracy,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanAbsoluteScaledError,
    MeanSquaredError,
    Metric,
    Perplexity,
    PinballLoss,
    Precision,
    Recall,
    RootMeanSquaredError,
    SymmetricMeanAbsolutePercentageError,
    accuracy,
    f1,
    mae,
    mape,
    mase,
    mase_scale,
    mse,
    perplexity,
    pinball_loss,
    pr_auc,
    precision,
    recall,
    rmse,
    roc_auc,
    smape,
)
from tests.gloo_pair import run_two_ranks

N = 301  # odd, so batches are uneven


def _reg_data() -> tuple[torch.Tensor, torch.Tensor]:
    target = torch.randn(N, dtype=torch.float64) * 3
    pred = target + torch.randn(N, dtype=torch.float64)
    return pred, target


# ---------------------------------------------------------------- functional forms against scikit-learn


def test_regression_matches_sklearn() -> None:
    pred, target = _reg_data()
    p, t = pred.numpy(), target.numpy()
    assert mae(pred, target) == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-12)
    assert mse(pred, target) == pytest.approx(skm.mean_squared_error(t, p), rel=1e-12)
    assert rmse(pred, target) == pytest.approx(np.sqrt(skm.mean_squared_error(t, p)), rel=1e-12)
    assert mape(pred, target) == pytest.approx(skm.mean_absolute_percentage_error(t, p), rel=1e-12)
    # (N, 1) against (N,) is accepted; real broadcasting mismatches are not.
    assert mae(pred[:, None], target) == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-12)


def test_mape_zero_target_follows_sklearn() -> None:
    target = torch.tensor([0.0, 1.0, -2.0], dtype=torch.float64)
    pred = torch.tensor([0.5, 1.5, -1.0], dtype=torch.float64)
    ref = skm.mean_absolute_percentage_error(target.numpy(), pred.numpy())
    assert mape(pred, target) == pytest.approx(ref, rel=1e-12)


def test_smape_and_mase_match_numpy_oracles() -> None:
    pred, target = _reg_data()
    pred[:3] = 0.0
    target[:3] = 0.0  # 0/0 terms count as 0
    p, t = pred.numpy(), target.numpy()
    den = np.abs(p) + np.abs(t)
    terms = np.divide(2 * np.abs(p - t), den, out=np.zeros_like(den), where=den > 0)
    assert smape(pred, target) == pytest.approx(terms.mean(), rel=1e-12)
    assert 0.0 <= smape(pred, target) <= 2.0

    history = torch.cumsum(torch.randn(100, dtype=torch.float64), 0)
    h = history.numpy()
    scale = mase_scale(history)
    assert scale == pytest.approx(np.abs(np.diff(h)).mean(), rel=1e-12)
    assert mase_scale(history, season=7) == pytest.approx(np.abs(h[7:] - h[:-7]).mean(), rel=1e-12)
    assert mase(pred, target, scale) == pytest.approx(np.abs(p - t).mean() / scale, rel=1e-12)


def test_pinball_matches_sklearn() -> None:
    quantiles = [0.1, 0.5, 0.9]
    target = torch.randn(N, dtype=torch.float64)
    pred = torch.randn(N, 3, dtype=torch.float64)
    ref = np.mean(
        [skm.mean_pinball_loss(target.numpy(), pred[:, i].numpy(), alpha=q) for i, q in enumerate(quantiles)]
    )
    assert pinball_loss(pred, target, quantiles) == pytest.approx(ref, rel=1e-12)
    assert pinball_loss(pred, target, torch.tensor(quantiles, dtype=torch.float64)) == pytest.approx(
        ref, rel=1e-12
    )
    # The median's pinball loss is half the MAE.
    assert pinball_loss(pred[:, 1:2], target, [0.5]) == pytest.approx(mae(pred[:, 1], target) / 2, rel=1e-12)


def test_perplexity() -> None:
    logits = torch.randn(4, 9, 11)
    target = torch.randint(0, 11, (4, 9))
    target[0, -3:] = -100  # padding
    mean_nll = F.cross_entropy(logits.reshape(-1, 11), target.reshape(-1), ignore_index=-100)
    assert perplexity(mean_nll) == pytest.approx(float(mean_nll.exp()), rel=1e-6)
    m = Perplexity()
    m.update(logits, target)
    assert m.compute() == pytest.approx(float(mean_nll.exp()), rel=1e-5)
    m2 = Perplexity()
    m2.update_nll(float(mean_nll), 33)
    m2.update_nll(float(mean_nll), 3)
    assert m2.compute() == pytest.approx(float(mean_nll.exp()), rel=1e-6)
    assert perplexity(1e4) == float("inf")


def _binary_data() -> tuple[torch.Tensor, torch.Tensor]:
    prob = torch.rand(N, dtype=torch.float64)
    target = (torch.rand(N, dtype=torch.float64) < prob).long()
    prob = (prob * 20).round() / 20  # many ties
    return prob, target


def test_binary_classification_matches_sklearn() -> None:
    prob, target = _binary_data()
    labels = (prob >= 0.5).long()
    y, yp = target.numpy(), labels.numpy()
    for fn, ref in [
        (precision, skm.precision_score),
        (recall, skm.recall_score),
        (f1, skm.f1_score),
    ]:
        expected = ref(y, yp)
        assert fn(labels, target) == pytest.approx(expected, rel=1e-12)  # labels
        assert fn(prob, target) == pytest.approx(expected, rel=1e-12)  # scores, threshold 0.5
        logit = torch.logit(prob.clamp(1e-6, 1 - 1e-6))
        assert fn(logit, target, threshold=0.0) == pytest.approx(expected, rel=1e-12)
        two = torch.stack([1 - prob, prob + 1e-9], dim=-1)  # (N, 2) probabilities, arg-max
        assert fn(two, target) == pytest.approx(expected, rel=1e-12)
        assert fn(labels, target, pos_label=0) == pytest.approx(ref(y, yp, pos_label=0), rel=1e-12)
    assert accuracy(prob, target) == pytest.approx(skm.accuracy_score(y, yp), rel=1e-12)


def test_macro_classification_matches_sklearn() -> None:
    logits = torch.randn(N, 5)
    target = torch.randint(0, 5, (N,))
    target[target == 3] = 2  # class 3 never a target; it is still predicted sometimes
    pred = logits.argmax(-1)
    y, yp = target.numpy(), pred.numpy()
    assert accuracy(logits, target) == pytest.approx(skm.accuracy_score(y, yp), rel=1e-12)
    for fn, ref in [(precision, skm.precision_score), (recall, skm.recall_score), (f1, skm.f1_score)]:
        expected = ref(y, yp, average="macro", zero_division=0)
        assert fn(logits, target, "macro") == pytest.approx(expected, rel=1e-12)
        assert fn(pred, target, "macro") == pytest.approx(expected, rel=1e-12)


def test_ignore_index_drops_padding() -> None:
    logits = torch.randn(6, 7, 4)
    target = torch.randint(0, 4, (6, 7))
    target[:, -2:] = -100
    keep = target != -100
    y, yp = target[keep].numpy(), logits.argmax(-1)[keep].numpy()
    assert accuracy(logits, target, ignore_index=-100) == pytest.approx(skm.accuracy_score(y, yp), rel=1e-12)
    expected = skm.f1_score(y, yp, average="macro", zero_division=0)
    assert f1(logits, target, "macro", ignore_index=-100) == pytest.approx(expected, rel=1e-12)


def test_auc_matches_sklearn() -> None:
    prob, target = _binary_data()
    y, s = target.numpy(), prob.numpy()
    assert roc_auc(prob, target) == pytest.approx(skm.roc_auc_score(y, s), rel=1e-12)
    assert pr_auc(prob, target) == pytest.approx(skm.average_precision_score(y, s), rel=1e-12)
    two = torch.stack([1 - prob, prob], dim=-1)
    assert roc_auc(two, target) == pytest.approx(skm.roc_auc_score(y, s), rel=1e-12)
    # Perfect ranking and reversed ranking.
    assert roc_auc(target.double(), target) == 1.0
    assert roc_auc(-target.double(), target) == 0.0
    assert pr_auc(target.double(), target) == 1.0


def test_multiclass_auc_matches_sklearn() -> None:
    probs = torch.softmax(torch.randn(N, 4, dtype=torch.float64), -1)
    target = torch.randint(0, 4, (N,))
    y, s = target.numpy(), probs.numpy()
    assert roc_auc(probs, target) == pytest.approx(skm.roc_auc_score(y, s, multi_class="ovr"), rel=1e-12)
    onehot = np.eye(4)[y]
    assert pr_auc(probs, target) == pytest.approx(skm.average_precision_score(onehot, s), rel=1e-12)


# ---------------------------------------------------------------- accumulation over batches


def _cases() -> list[tuple[str, Callable[[], Metric], Callable[[], tuple[torch.Tensor, torch.Tensor]]]]:
    def reg() -> tuple[torch.Tensor, torch.Tensor]:
        return _reg_data()

    def binary() -> tuple[torch.Tensor, torch.Tensor]:
        return _binary_data()

    def multi() -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(N, 5), torch.randint(0, 5, (N,))

    def quant() -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(N, 2, dtype=torch.float64), torch.randn(N, dtype=torch.float64)

    def tokens() -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(N, 7, dtype=torch.float64), torch.randint(0, 7, (N,))

    return [
        ("mae", MeanAbsoluteError, reg),
        ("mse", MeanSquaredError, reg),
        ("rmse", RootMeanSquaredError, reg),
        ("mape", MeanAbsolutePercentageError, reg),
        ("smape", SymmetricMeanAbsolutePercentageError, reg),
        ("mase", lambda: MeanAbsoluteScaledError(0.7), reg),
        ("pinball", lambda: PinballLoss([0.2, 0.8]), quant),
        ("perplexity", Perplexity, tokens),
        ("accuracy", Accuracy, multi),
        ("precision_binary", Precision, binary),
        ("recall_binary", Recall, binary),
        ("f1_binary", F1, binary),
        ("f1_macro", lambda: F1("macro"), multi),
        ("precision_macro", lambda: Precision("macro"), multi),
        ("roc_auc", ROCAUC, binary),
        ("pr_auc", PRAUC, binary),
        ("roc_auc_multi", ROCAUC, lambda: (torch.softmax(torch.randn(N, 3), -1), torch.randint(0, 3, (N,)))),
    ]


@pytest.mark.parametrize(("name", "make", "data"), _cases(), ids=[c[0] for c in _cases()])
def test_batches_equal_all_at_once(
    name: str,
    make: Callable[[], Metric],
    data: Callable[[], tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
) -> None:
    preds, target = (t.to(device) for t in data())
    whole = make()
    whole.update(preds, target)
    expected = whole.compute()
    batched = make()
    for chunk in (slice(0, 1), slice(1, 40), slice(40, 41), slice(41, 200), slice(200, N)):
        batched.update(preds[chunk], target[chunk])
    assert batched.compute() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # reset() forgets everything; the metric is reusable afterwards.
    batched.reset()
    assert batched.empty
    with pytest.raises(DataError):
        batched.compute()
    batched.update(preds, target)
    assert batched.compute() == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_accumulated_auc_is_not_mean_of_batch_aucs() -> None:
    # Batch 1 ranks well within itself, batch 2 too, but batch 2's scores sit far below batch 1's.
    s1, y1 = torch.tensor([0.9, 0.8, 0.7, 0.6]), torch.tensor([1, 1, 0, 0])
    s2, y2 = torch.tensor([0.2, 0.1, 0.05, 0.01]), torch.tensor([1, 1, 0, 0])
    m = ROCAUC()
    m.update(s1, y1)
    m.update(s2, y2)
    all_s, all_y = torch.cat([s1, s2]).numpy(), torch.cat([y1, y2]).numpy()
    assert m.compute() == pytest.approx(skm.roc_auc_score(all_y, all_s), rel=1e-12)
    assert roc_auc(s1, y1) == roc_auc(s2, y2) == 1.0  # so the mean of batch AUCs would be 1
    assert m.compute() == pytest.approx(0.75)


def test_higher_is_better_flags() -> None:
    assert all(c.higher_is_better for c in (Accuracy, Precision, Recall, F1, ROCAUC, PRAUC))
    lower = (MeanAbsoluteError, RootMeanSquaredError, MeanAbsolutePercentageError, PinballLoss, Perplexity)
    assert not any(c.higher_is_better for c in lower)


# ---------------------------------------------------------------- edge cases


def test_edge_cases_raise_clear_errors() -> None:
    with pytest.raises(DataError, match="both classes"):
        roc_auc(torch.rand(10), torch.ones(10, dtype=torch.long))
    with pytest.raises(DataError, match="positive"):
        pr_auc(torch.rand(10), torch.zeros(10, dtype=torch.long))
    with pytest.raises(DataError, match="NaN"):
        roc_auc(torch.tensor([0.1, float("nan")]), torch.tensor([0, 1]))
    with pytest.raises(ShapeError, match="does not match"):
        mae(torch.randn(4, 3), torch.randn(4))
    with pytest.raises(ShapeError):
        accuracy(torch.randn(4, 3), torch.randint(0, 3, (5,)))
    with pytest.raises(ShapeError, match="3 quantiles"):
        pinball_loss(torch.randn(4, 2), torch.randn(4), [0.1, 0.5, 0.9])
    with pytest.raises(ConfigError, match="quantiles"):
        PinballLoss([0.5, 1.0])
    with pytest.raises(ConfigError, match="scale"):
        mase(torch.randn(3), torch.randn(3), 0.0)
    with pytest.raises(ConfigError, match="macro"):
        f1(torch.tensor([0, 1, 2]), torch.tensor([0, 1, 2]))
    with pytest.raises(ConfigError, match="average"):
        F1("micro")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="non-negative"):
        accuracy(torch.tensor([0, 1]), torch.tensor([0, -1]))
    with pytest.raises(DataError, match="more than"):
        mase_scale(torch.randn(3), season=3)
    with pytest.raises(DataError, match="no samples"):
        Accuracy().compute()
    with pytest.raises(ShapeError, match="width"):
        m = ROCAUC()
        m.update(torch.rand(4), torch.tensor([0, 1, 0, 1]))
        m.update(torch.rand(4, 3), torch.tensor([0, 1, 2, 1]))
    # F1 with no positive predictions is 0 (scikit-learn's zero_division default), not NaN.
    assert f1(torch.zeros(4, dtype=torch.long), torch.tensor([0, 1, 0, 1])) == 0.0


# ---------------------------------------------------------------- two processes over gloo

_WORKER = textwrap.dedent(
    """
    import json, sys
    import torch
    import torch.distributed as dist
    from carrousel.core import metrics as M

    def data():
        g = torch.Generator().manual_seed(123)
        n = 157
        reg_p = torch.randn(n, generator=g, dtype=torch.float64)
        reg_t = torch.randn(n, generator=g, dtype=torch.float64)
        prob = torch.rand(n, generator=g, dtype=torch.float64)
        y = (torch.rand(n, generator=g, dtype=torch.float64) < prob).long()
        logits = torch.randn(n, 4, generator=g)
        cls = torch.randint(0, 4, (n,), generator=g)
        lab_p, lab_t = torch.randint(0, 4, (2, n), generator=g)
        lab_p[100:] %= 3  # rank 1 never sees class 3: its per-class counts are shorter
        lab_t[100:] %= 3
        padded = torch.where(torch.arange(n) < 100, y, -100)  # rank 1 has nothing left after ignore_index
        return reg_p, reg_t, prob, y, logits, cls, lab_p, lab_t, padded

    def run(part):
        reg_p, reg_t, prob, y, logits, cls, lab_p, lab_t, padded = (t[part] for t in data())
        ms = {
            "mae": (M.MeanAbsoluteError(), reg_p, reg_t),
            "rmse": (M.RootMeanSquaredError(), reg_p, reg_t),
            "smape": (M.SymmetricMeanAbsolutePercentageError(), reg_p, reg_t),
            "pinball": (M.PinballLoss([0.3]), reg_p[:, None], reg_t),
            "accuracy": (M.Accuracy(), logits, cls),
            "f1_binary": (M.F1(), prob, y),
            "f1_macro": (M.F1("macro"), logits, cls),
            "roc_auc": (M.ROCAUC(), prob, y),
            "pr_auc": (M.PRAUC(), prob, y),
            "f1_macro_uneven_classes": (M.F1("macro"), lab_p, lab_t),
            "recall_macro_uneven_classes": (M.Recall("macro"), lab_p, lab_t),
            "roc_auc_empty_rank": (M.ROCAUC(ignore_index=-100), prob, padded),
        }
        out = {}
        for name, (m, p, t) in ms.items():
            m.update(p, t)
            out[name] = m.compute()
        return out

    if __name__ == "__main__":
        rank, store = int(sys.argv[1]), sys.argv[2]
        dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
        part = slice(0, 100) if rank == 0 else slice(100, None)  # uneven halves
        print(json.dumps(run(part)))
        dist.destroy_process_group()
    """
)


def test_two_process_gloo_reduction(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    results = run_two_ranks(script, tmp_path / "store", timeout=120)
    expected = runpy.run_path(str(script))["run"](slice(None))  # one process, all the data
    for name, value in expected.items():
        assert results[0][name] == pytest.approx(value, rel=1e-9), name
        assert results[1][name] == pytest.approx(value, rel=1e-9), name


def test_macro_over_the_target_classes_leaves_out_a_class_only_predicted() -> None:
    """``target_classes=True``: macro figures over the classes the targets hold (scikit-learn's
    ``labels=<classes in y_true>``), moved from nlp's sentiment evaluation; class 1 is predicted twice and
    never a target. By default it counts (0 precision, 0 recall), as scikit-learn's default does."""
    from carrousel.core.metrics import Precision, f1, precision, recall

    target, preds = torch.tensor([0, 0, 2, 2]), torch.tensor([0, 1, 1, 2])
    over = {"target_classes": True}
    assert precision(preds, target, "macro", **over) == pytest.approx(1.0)  # 1/1, 1/1
    assert recall(preds, target, "macro", **over) == pytest.approx(0.5)  # 1/2, 1/2
    assert f1(preds, target, "macro", **over) == pytest.approx(2 / 3)
    assert precision(preds, target, "macro") == pytest.approx(2 / 3)
    assert recall(preds, target, "macro") == pytest.approx(1 / 3)
    assert f1(preds, target, "macro") == pytest.approx(4 / 9)
    m = Precision("macro", target_classes=True)  # batch-accumulated: the same
    m.update(preds[:2], target[:2])
    m.update(preds[2:], target[2:])
    assert m.compute() == pytest.approx(1.0)

"""The sentiment benchmarks' teachers are fitted as training fits its teacher: to the minimum of the logistic
objective (``fit_logistic``). Until session 49 ``bench_nlp_sentiment.py``'s teacher row and ``bench_nlp_drugs.py``'s
teachers fitted scikit-learn's ``LogisticRegression(C=1, max_iter=3000)``, whose L-BFGS stops at its default tol
1e-4 short of the minimum, silently (on the 3,040 P&L embeddings after 9 iterations: objective 1513.169, the
minimum 1512.423). The set here is small and ill-conditioned as MiniLM's embeddings are (unit rows near a plane);
its test points lie 0.003 either side of the minimum's boundary, where a fit stopped early decides some wrongly."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from tests.bench_scripts import bench_module

MARGIN = 0.003


def _problem() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training rows and labels, then test points at +-MARGIN of the minimum's decision and their labels."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 8)) + 0.1 * rng.normal(size=(200, 8))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    y = ((x @ rng.normal(size=8) + 0.3 * rng.normal(size=200)) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best = LogisticRegression(C=1.0, max_iter=100_000, tol=1e-10).fit(x, y)  # the minimum
    w, b = best.coef_[0], float(best.intercept_[0])
    z = x @ w + b
    tests = [
        x - ((z - s * MARGIN) / (w @ w))[:, None] * w for s in (1, -1)
    ]  # moved onto the boundary, then +-
    return x, y, np.concatenate(tests).astype(np.float32), np.repeat([1, 0], len(x))


class _Encoder:
    """A stand-in for MiniLM: each text is the index of its vector."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    def sentences(self, texts: list[str]) -> np.ndarray:
        return self.vectors[[int(t) for t in texts]]


def _write(path: Path, ids: range, labels: np.ndarray) -> Path:
    path.write_text(
        "text,label\n" + "".join(f"{i},{lab}\n" for i, lab in zip(ids, labels, strict=True)), "utf-8"
    )
    return path


def test_the_teacher_row_fits_to_the_minimum(tmp_path: Path) -> None:
    x, y, tx, ty = _problem()
    encoder = _Encoder(np.concatenate([x, tx]))
    bench = bench_module("bench_nlp_sentiment")  # the functions only: the __main__ block does not run
    bench.MiniLM = type("MiniLM", (), {"from_folder": staticmethod(lambda: encoder)})
    train = _write(tmp_path / "train.csv", range(len(x)), y)
    test = _write(tmp_path / "test.csv", range(len(x), len(x) + len(tx)), ty)
    ((accuracy, f1),) = bench.teacher(train, [test])
    assert (accuracy, f1) == (1.0, 1.0)  # on main (scikit-learn, default tol): 0.855


def test_the_drug_benchmark_teachers_fit_to_the_minimum() -> None:
    x, y, tx, ty = _problem()
    vectors = np.concatenate([x, tx])
    score = bench_module("bench_nlp_drugs").teacher(
        lambda texts: vectors[[int(t) for t in texts]], [str(i) for i in range(len(x))], y.tolist()
    )
    z = score([str(i) for i in range(len(x), len(vectors))])
    assert z.shape == (len(tx),)
    assert np.mean((z > 0) == (ty == 1)) == 1.0  # on main (scikit-learn, default tol): 0.855

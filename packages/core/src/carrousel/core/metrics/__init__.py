"""Metrics: functional forms (tensors in, float out) and stateful classes that accumulate over batches.

Inputs may be tensors, numpy arrays or (nested) lists of numbers (:data:`Values`); lists convert as
``torch.tensor`` does and arrays keep their dtype.

Functional forms compute on the tensors given, in this process only. Stateful classes follow one
protocol (:class:`Metric`): ``update(preds, target)`` per batch, ``compute() -> float`` over everything
seen (merged across ``torch.distributed`` ranks when initialised; every rank must call it),
``reset()``, and the class attribute ``higher_is_better``. Accumulated values are exact: RMSE is the
root of the overall mean square, ROC-AUC is computed on all scores, never averaged over batches.

Example:
    >>> from carrousel.core.metrics import MeanAbsoluteError, accuracy
    >>> m = MeanAbsoluteError()
    >>> for pred, y in [([1.0, 2.0], [1.5, 2.0]), ([0.0], [1.0])]:  # batches of a loader
    ...     m.update(pred, y)
    >>> m.compute()
    0.5
    >>> accuracy([0.9, 0.2, 0.7], [1, 0, 0])
    0.6666666666666666
"""

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
    from carrousel.core.metrics._base import Metric, Values, distributed_active
    from carrousel.core.metrics.calibration import (
        brier_score,
        expected_calibration_error,
        fit_temperature,
        log_loss,
        scale_cut,
        temperature_scale,
    )
    from carrousel.core.metrics.classification import (
        F1,
        Accuracy,
        Average,
        Precision,
        Recall,
        accuracy,
        f1,
        precision,
        recall,
        to_labels,
    )
    from carrousel.core.metrics.multiple_testing import benjamini_hochberg
    from carrousel.core.metrics.ranking import (
        PRAUC,
        ROCAUC,
        binary_average_precision,
        binary_roc_auc,
        pr_auc,
        roc_auc,
    )
    from carrousel.core.metrics.regression import (
        MeanAbsoluteError,
        MeanAbsolutePercentageError,
        MeanAbsoluteScaledError,
        MeanSquaredError,
        Perplexity,
        PinballLoss,
        RootMeanSquaredError,
        SymmetricMeanAbsolutePercentageError,
        mae,
        mape,
        mase,
        mase_scale,
        mse,
        perplexity,
        pinball_loss,
        pinball_terms,
        quantile_levels,
        rmse,
        smape,
    )

# imported on first use: the functional forms need only numpy, the metric classes pull in torch
_LAZY = {  # name -> the module that defines it, imported on first use
    **dict.fromkeys(("Metric", "Values", "distributed_active"), "carrousel.core.metrics._base"),
    **dict.fromkeys(
        (
            "brier_score",
            "expected_calibration_error",
            "fit_temperature",
            "log_loss",
            "scale_cut",
            "temperature_scale",
        ),
        "carrousel.core.metrics.calibration",
    ),
    **dict.fromkeys(
        (
            "F1",
            "Accuracy",
            "Average",
            "Precision",
            "Recall",
            "accuracy",
            "f1",
            "precision",
            "recall",
            "to_labels",
        ),
        "carrousel.core.metrics.classification",
    ),
    **dict.fromkeys(("benjamini_hochberg",), "carrousel.core.metrics.multiple_testing"),
    **dict.fromkeys(
        ("PRAUC", "ROCAUC", "binary_average_precision", "binary_roc_auc", "pr_auc", "roc_auc"),
        "carrousel.core.metrics.ranking",
    ),
    **dict.fromkeys(
        (
            "MeanAbsoluteError",
            "MeanAbsolutePercentageError",
            "MeanAbsoluteScaledError",
            "MeanSquaredError",
            "Perplexity",
            "PinballLoss",
            "RootMeanSquaredError",
            "SymmetricMeanAbsolutePercentageError",
            "mae",
            "mape",
            "mase",
            "mase_scale",
            "mse",
            "perplexity",
            "pinball_loss",
            "pinball_terms",
            "quantile_levels",
            "rmse",
            "smape",
        ),
        "carrousel.core.metrics.regression",
    ),
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "F1",
    "PRAUC",
    "ROCAUC",
    "Accuracy",
    "Average",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanAbsoluteScaledError",
    "MeanSquaredError",
    "Metric",
    "Perplexity",
    "PinballLoss",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SymmetricMeanAbsolutePercentageError",
    "Values",
    "accuracy",
    "benjamini_hochberg",
    "binary_average_precision",
    "binary_roc_auc",
    "brier_score",
    "distributed_active",
    "expected_calibration_error",
    "f1",
    "fit_temperature",
    "log_loss",
    "mae",
    "mape",
    "mase",
    "mase_scale",
    "mse",
    "perplexity",
    "pinball_loss",
    "pinball_terms",
    "pr_auc",
    "precision",
    "quantile_levels",
    "recall",
    "rmse",
    "roc_auc",
    "scale_cut",
    "smape",
    "temperature_scale",
    "to_labels",
]

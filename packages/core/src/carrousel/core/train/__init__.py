"""The domain-free training loop: Trainer, Task, callbacks, checkpoints, samplers, LR finder, DDP."""

from carrousel.core.train.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    HistoryLogger,
    ProgressBar,
    TensorBoardLogger,
)
from carrousel.core.train.checkpoint import CheckpointManager, find_latest, load_checkpoint, save_checkpoint
from carrousel.core.train.config import TrainConfig
from carrousel.core.train.distill import (
    DistillationTask,
    DistillConfig,
    distillation_loss,
    distilled_summary,
    frame_kl,
    soft_loss,
    soft_targets,
)
from carrousel.core.train.distributed import DistEnv, is_rank_zero, leave_to_rank_zero
from carrousel.core.train.diverged import (
    StepOverflowError,
    check_held_out,
    finite_parameters,
    fit_refusing,
    lr_fix,
    refuse_diverged,
)
from carrousel.core.train.ema import WeightAverage
from carrousel.core.train.hint import HintDistillationTask, HintOutputs, HintStudent, hint_loss
from carrousel.core.train.inference import predict
from carrousel.core.train.lr_finder import LRFinderResult, find_lr, suggest_lr
from carrousel.core.train.optim import build_optimizer, build_scheduler
from carrousel.core.train.result import FitResult
from carrousel.core.train.sampler import BucketBatchSampler
from carrousel.core.train.seed import draw_seed, get_rng_state, set_rng_state, set_seed
from carrousel.core.train.task import Task
from carrousel.core.train.trainer import Trainer

__all__ = [
    "BucketBatchSampler",
    "Callback",
    "CallbackList",
    "CheckpointManager",
    "DistEnv",
    "DistillConfig",
    "DistillationTask",
    "EarlyStopping",
    "FitResult",
    "HintDistillationTask",
    "HintOutputs",
    "HintStudent",
    "HistoryLogger",
    "LRFinderResult",
    "ProgressBar",
    "StepOverflowError",
    "Task",
    "TensorBoardLogger",
    "TrainConfig",
    "Trainer",
    "WeightAverage",
    "build_optimizer",
    "build_scheduler",
    "check_held_out",
    "distillation_loss",
    "distilled_summary",
    "draw_seed",
    "find_latest",
    "find_lr",
    "finite_parameters",
    "fit_refusing",
    "frame_kl",
    "get_rng_state",
    "hint_loss",
    "is_rank_zero",
    "leave_to_rank_zero",
    "load_checkpoint",
    "lr_fix",
    "predict",
    "refuse_diverged",
    "save_checkpoint",
    "set_rng_state",
    "set_seed",
    "soft_loss",
    "soft_targets",
    "suggest_lr",
]

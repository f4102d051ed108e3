"""Core's public functions and methods refuse a bool/int argument of the wrong kind at the call, in one line
(before: none of core's 197 such arguments was refused up front: move_to(non_blocking="false") and
PruneCallback(permanent_at_end="false") took the string as True, EarlyStopping(patience=3.0) was kept as a
float); see tests/arg_kinds.py and carrousel.core.args.check_args."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError
from carrousel.core.train.callbacks import EarlyStopping
from tests.arg_kinds import wrong_kind_failures

_HOT = "called inside forward or a decoding/training step, traced by torch.export (a size may be symbolic)"
_HOOK = "a hook the Trainer calls with its own counters; a user's subclass overrides it, unchecked anyway"
ALLOW = {
    # the checkers check_args itself calls; example= is only a hint for their message
    "carrousel.core.args.as_bool": "checker",
    "carrousel.core.args.as_int": "checker",
    # errors cannot import args (args imports errors); its rank comes from enumerate over the gathered lines
    "carrousel.core.errors.rank_failure": "builds a message from an enumerate index, never a user's value",
    "carrousel.core.decode.search.gnmt_length_penalty": "per hypothesis at every beam-search step",
    "carrousel.core.decode.search.checked_step": _HOT,
    "carrousel.core.decode.rows.select_state": _HOT,
    "carrousel.core.nn.attention.last_pool": _HOT,
    "carrousel.core.nn.attention.masked_softmax": _HOT,
    "carrousel.core.nn.lstm_graph.graph_backward": _HOT,
    "carrousel.core.nn.lengths.check_host_lengths": _HOT,
    "carrousel.core.nn.lengths.check_lengths": _HOT,
    "carrousel.core.nn.lengths.mask_from_lengths": _HOT,
    "carrousel.core.nn.lengths.resolve_mask": _HOT,
    "carrousel.core.nn.varlen.reverse_index": _HOT,
    "carrousel.core.train.tbptt.slice_time": _HOT,
    "carrousel.core.train.figures.StepFigures.loss": _HOT,
    "carrousel.core.train.figures.StepFigures.norm": _HOT,
    "carrousel.core.train.tbptt.split_time": _HOT,
    "carrousel.core.train.task.Task.split": _HOOK,
    "carrousel.core.prune.magnitude.PruneCallback.on_batch_end": _HOOK,
    **{
        f"carrousel.core.train.{hook}": _HOOK
        for hook in (
            "hooks.Callback.on_batch_end",
            "hooks.Callback.on_batch_start",
            "hooks.Callback.on_epoch_end",
            "hooks.Callback.on_epoch_start",
            "hooks.Callback.on_validation_end",
            "callbacks.EarlyStopping.on_epoch_end",
            "loggers.HistoryLogger.on_epoch_end",
            "loggers.ProgressBar.on_batch_end",
            "loggers.ProgressBar.on_epoch_end",
            "loggers.ProgressBar.on_epoch_start",
            "loggers.TensorBoardLogger.on_epoch_end",
        )
    },
}


def test_every_bool_and_int_argument_refuses_the_wrong_kind() -> None:
    failures, tried = wrong_kind_failures("core", ALLOW)
    assert failures == []
    assert tried > 100  # the walk found core's public API


def test_examples() -> None:
    with pytest.raises(ConfigError) as caught:
        EarlyStopping(patience=3.0)  # type: ignore[arg-type]
    assert (
        str(caught.value)
        == "EarlyStopping.__init__: patience=3.0 is a float, not an integer; give patience=3"
    )


def test_numpy_scalars_pass_as_plain_values_and_defaults_are_not_checked() -> None:
    @check_args
    def f(
        n: int, flag: bool = False, k: int | None = None, s: str = "x"
    ) -> tuple[int, bool, int | None, str]:
        return n, flag, k, s

    got = f(np.int64(4), np.True_, k=np.int32(2))
    assert got == (4, True, 2, "x")
    assert [type(v) for v in got[:3]] == [int, bool, int]
    assert f(5, k=None, s=3) == (5, False, None, 3)  # type: ignore[arg-type]  # None where allowed; str unchecked
    for call, message in [
        (lambda: f(True), "f: n=True is a bool, not an integer; give an integer"),
        (lambda: f(1, "no"), "f: flag='no' is a str, not a bool; give flag=False"),
        (lambda: f(1, flag=np.int64(1)), "f: flag=np.int64(1) is an int64, not a bool; give flag=True"),
        (lambda: f(1, k=2.0), "f: k=2.0 is a float, not an integer; give k=2"),
        (lambda: f(None), "f: n=None is a NoneType, not an integer; give an integer"),
    ]:
        with pytest.raises(ConfigError) as caught:
            call()
        assert str(caught.value).endswith(message.removeprefix("f:")), str(caught.value)


def test_skip_leaves_an_argument_to_the_body() -> None:
    @check_args(skip=("n",))
    def f(n: int, flag: bool = False) -> object:
        return n

    assert f(2.0) == 2.0  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"flag='yes' is a str, not a bool; give flag=True$"):
        f(1, flag="yes")  # type: ignore[arg-type]

"""Finance's public functions and methods refuse a bool/int argument of the wrong kind at the call, in one line
(before: none was refused up front); see tests/arg_kinds.py and carrousel.core.args.check_args."""

from __future__ import annotations

from tests.arg_kinds import wrong_kind_failures

_FRAME_H = "h checked in the body with as_int (a FrameError suggesting the model's horizon), after the frame"
ALLOW = {
    "carrousel.finance.frames.Forecaster.predict": _FRAME_H,
    "carrousel.finance.frames.cross_validation": _FRAME_H,
}


def test_every_bool_and_int_argument_refuses_the_wrong_kind() -> None:
    failures, tried = wrong_kind_failures("finance", ALLOW)
    assert failures == []
    assert tried > 40  # the walk found the package's public API

"""Speech's public functions and methods refuse a bool/int argument of the wrong kind at the call, in one line
(before: none was refused up front); see tests/arg_kinds.py and carrousel.core.args.check_args."""

from __future__ import annotations

from tests.arg_kinds import wrong_kind_failures

ALLOW = {
    "carrousel.speech.decoding.WordScorer.__call__": "per extended prefix at every step of the LM beam search",
}


def test_every_bool_and_int_argument_refuses_the_wrong_kind() -> None:
    failures, tried = wrong_kind_failures("speech", ALLOW)
    assert failures == []
    assert tried > 30  # the walk found the package's public API

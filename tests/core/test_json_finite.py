"""core.json_finite: the one strict JSON reading of bundle manifests and finance run files."""

from __future__ import annotations

import json

import pytest

from carrousel.core.json_finite import loads_finite


def test_finite_json_reads_as_json_does() -> None:
    text = '{"a": [1, 2.5, -3e-4, null, true], "b": "NaN"}'
    assert loads_finite(text) == json.loads(text)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_a_non_finite_number_is_a_value_error_naming_it(token: str) -> None:
    with pytest.raises(ValueError, match=rf"^{token}$") as info:
        loads_finite(f'{{"mae": {token}}}')
    assert not isinstance(info.value, json.JSONDecodeError)  # readers tell it from text that is no JSON


def test_text_that_is_no_json_stays_a_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads_finite('{"mae": ')

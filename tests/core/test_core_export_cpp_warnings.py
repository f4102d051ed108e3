"""PyTorch's C++ warnings, written by the torchscript ONNX exporter straight to file descriptor 2, become
Python warnings (so ``export_onnx``'s filter hides them and ``nlp translate export -q`` shows only errors);
anything else written to the descriptor meanwhile still reaches stderr."""

from __future__ import annotations

import os
import warnings

import pytest

from carrousel.core.export.onnx import _cpp_warnings_as_python

CPP = (
    b"[W1203 20:57:07.955782322 shape_type_inference.cpp:1994] Warning: The shape inference of prim::PackPadded "
    b"type is missing, so it may result in wrong shape inference for the exported graph. (function UpdateReliable)\n"
)


def test_cpp_warnings_become_python_warnings_and_other_output_passes(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _cpp_warnings_as_python():
            os.write(2, b"a line of its own\n" + CPP + CPP)
    assert [str(w.message) for w in caught] == [
        "torch.onnx.export: The shape inference of prim::PackPadded type is missing, so it may result in wrong "
        "shape inference for the exported graph."
    ] * 2
    assert capfd.readouterr().err == "a line of its own\n"


def test_ignored_warnings_leave_stderr_empty(capfd: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _cpp_warnings_as_python():
            os.write(2, CPP)
    assert capfd.readouterr().err == ""
    os.write(2, b"after\n")  # the descriptor is stderr again
    assert capfd.readouterr().err == "after\n"

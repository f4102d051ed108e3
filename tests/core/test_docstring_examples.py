"""The ``>>>`` examples of core's docstrings run and print what they show (a library user reads them in
``help()``; before, the metrics package's example used names it never defined and nothing ran them)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import carrousel.core

OPTIONAL = ("cli", "plots")  # the [cli] and [plot] extras' modules: not importable without them


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(carrousel.core.__path__, "carrousel.core.")]
    return [n for n in names if not n.rsplit(".", 1)[-1].startswith(OPTIONAL)]


def _examples(module: ModuleType) -> list[doctest.DocTest]:
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, module.__name__)
    return [t for t in tests if t.examples]


@pytest.mark.parametrize("name", [n for n in _modules() if _examples(importlib.import_module(n))])
def test_docstring_examples_run_as_shown(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for test in _examples(module):
        test.globs = {**vars(module), **test.globs}
        runner = doctest.DocTestRunner(optionflags=flags)
        report: list[str] = []
        runner.run(test, out=report.append)
        assert runner.failures == 0, "".join(report)

"""The lazy name tables of the packages' ``__init__`` modules (:mod:`carrousel.core.lazy`, PEP 562) agree
with what they re-export.

A table maps a name to the module that defines it and is read only when the name is first used, so a name
misspelt, moved to another module or left out of the table fails at its first use, far from here. For every
``__init__.py`` of the source tree that defines ``__getattr__`` (found by reading the files, so a new lazy
package is covered without editing this test):

* it builds ``__getattr__`` with :func:`~carrousel.core.lazy.lazy_exports` from a table named ``_LAZY``
  (no hand-written ``__getattr__``: the CLI packages' ``app`` and ``main`` are a table too);
* every name of the table resolves, to the very object its module defines and lists in its ``__all__``;
* ``__all__`` is the table's names plus names bound at import, and every one of them resolves;
* the ``if TYPE_CHECKING:`` imports (the names as mypy sees them) import each name from the module the
  table names;
* a package that collects its submodules (:data:`COLLECTIONS`) re-exports every name of their ``__all__``,
  except the ones it leaves to their module, named there with the reason.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("packages/*/src"), ROOT / "tools" / "data" / "src"])

COLLECTIONS: dict[str, dict[str, str]] = {
    "carrousel.core.export": {
        "PrecisionSource": "command-line plumbing the domains' configs and CLIs take from export.choices",
        "check_precision_name": "command-line plumbing the domains' configs and CLIs take from export.choices",
        "precision_from": "command-line plumbing the domains' configs and CLIs take from export.choices",
        "precision_source": "command-line plumbing the domains' configs and CLIs take from export.choices",
        "quantizer_files": "the ONNX Runtime quantizer's temporary files, for export.quant and a benchmark",
        "BF16_RUNNER": "a key of measure_latency's result, for export.report's readers",
        "bf16_skip_reason": "measure_latency's device check",
        "deployment_table": "the CLI helper's table of a DeploymentReport",
        "PositionalGraph": "export.graph's exporter wrapper, shared with export.onnx",
        "fresh_rnn_dispatch": "export.graph's dispatch-cache guard, shared with export.onnx",
        "why_not_exportable": "export.graph's configuration check, shared with export.fuse",
    },
    "carrousel.core.metrics": {
        "as_tensors": "the metric modules' shared input conversion (metrics._base)",
        "value_of": "the functional metrics' one-batch computation (metrics._base)",
    },
}
"""Packages whose table collects their submodules' names: name left to its module -> why."""


def _module_name(init: Path) -> str:
    for src in SOURCES:
        if init.is_relative_to(src):
            return ".".join(init.parent.relative_to(src).parts)
    raise AssertionError(init)


def _lazy_packages() -> list[str]:
    found = []
    for src in SOURCES:
        for init in sorted(src.glob("carrousel/**/__init__.py")):
            tree = ast.parse(init.read_text(encoding="utf-8"))
            names = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in _targets(node)}
            defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            if "__getattr__" in names | defined:
                found.append(_module_name(init))
    return found


def _targets(node: ast.Assign) -> list[ast.Name]:
    out = []
    for t in node.targets:
        out.extend(e for e in (t.elts if isinstance(t, ast.Tuple) else [t]) if isinstance(e, ast.Name))
    return out


def _type_checking_imports(pkg: ModuleType) -> dict[str, str]:
    """name -> module of the ``from M import name`` lines under ``if TYPE_CHECKING:``."""
    assert pkg.__file__ is not None
    tree = ast.parse(Path(pkg.__file__).read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom) and imp.module:
                    found.update({a.asname or a.name: imp.module for a in imp.names})
    return found


def _table(pkg: ModuleType) -> dict[str, str]:
    table = getattr(pkg, "_LAZY", None)
    assert isinstance(table, dict), (
        f"{pkg.__name__}: name its lazy table _LAZY (name -> module) and pass it to lazy_exports"
    )
    return table


LAZY = _lazy_packages()


def test_the_lazy_packages_are_found() -> None:
    """The search above finds the tables known when this test was written (a lost one fails here)."""
    known = {"carrousel.core", "carrousel.core.export", "carrousel.core.metrics"}
    known |= {f"carrousel.{domain}" for domain in ("bio", "finance", "nlp", "speech")}  # __version__ at least
    known |= {f"carrousel.{domain}.cli" for domain in ("bio", "finance", "nlp", "speech")}  # app, main
    assert known <= set(LAZY), LAZY


@pytest.mark.parametrize("name", LAZY)
def test_every_exported_name_resolves_to_its_modules_public_object(name: str) -> None:
    pkg = importlib.import_module(name)
    unresolved = [attr for attr in pkg.__all__ if not hasattr(pkg, attr)]  # lazy or bound at import
    assert unresolved == [], (
        f"{name}: names of __all__ that do not resolve (not bound at import, not in the lazy table, or mapped to a module without them)"
    )
    assert not hasattr(pkg, "no_such_name")  # __getattr__ serves the table's names only
    assert "lazy_exports" in vars(pkg), (
        f"{name}: a hand-written __getattr__; use __getattr__, __dir__ = lazy_exports(__name__, _LAZY)"
    )
    table = _table(pkg)
    assert [a for a in table if a not in pkg.__all__] == [], f"{name}: lazy names missing from __all__"
    wrong = {}
    for attr, where in table.items():
        module = importlib.import_module(where)
        if attr not in getattr(module, "__all__", ()) or getattr(pkg, attr) is not getattr(module, attr):
            wrong[attr] = where
    assert wrong == {}, (
        f"{name}: the table maps these to a module that does not list them in __all__: {wrong}"
    )


@pytest.mark.parametrize("name", LAZY)
def test_the_type_checking_imports_match_the_table(name: str) -> None:
    pkg = importlib.import_module(name)
    typed = _type_checking_imports(pkg)
    if not typed:
        return  # no TYPE_CHECKING block (bio: mypy reads its lazy names through __getattr__)
    assert typed == _table(pkg), f"{name}: the TYPE_CHECKING imports and the lazy table differ"


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_a_collecting_package_reexports_its_submodules_names(name: str) -> None:
    pkg = importlib.import_module(name)
    table, left = _table(pkg), COLLECTIONS[name]
    public: set[str] = set()
    for info in pkgutil.iter_modules(pkg.__path__):
        public |= set(getattr(importlib.import_module(f"{name}.{info.name}"), "__all__", ()))
    missing = sorted(public - set(table) - set(left))
    assert missing == [], f"{name}: add to the lazy table (or to COLLECTIONS with a reason): {missing}"
    stale = sorted(n for n in left if n in table or n not in public)
    assert stale == [], f"remove from COLLECTIONS[{name!r}] (now in the table, or gone): {stale}"


@pytest.mark.parametrize("name", LAZY)
def test_dir_lists_the_public_names_not_the_laziness(name: str) -> None:
    """dir(carrousel.core.metrics) listed TYPE_CHECKING, lazy_exports and _LAZY (every lazy package, one
    __dir__ from lazy_exports): tab completion offered them beside the metrics."""
    pkg = importlib.import_module(name)
    listed = dir(pkg)
    assert {"TYPE_CHECKING", "lazy_exports", "_LAZY"} & set(listed) == set(), listed
    assert set(pkg.__all__) <= set(listed)
    assert "__doc__" in listed

"""Architecture checks over the source tree: import cycles, package layering, module size, true metadata.

Everything here reads files (``ast``, ``tomllib``); nothing imports the packages under test, so a check
runs in well under a second and names the file and line to fix.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "finance", "bio", "nlp", "speech"]
DOMAINS = [p for p in PACKAGES if p != "core"]
MAX_LINES = 400

# ---------------------------------------------------------------------------------------------------
# the import graph of carrousel.*
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """One import of a carrousel module by another."""

    source: str  # importing module, e.g. "carrousel.bio.scan"
    target: str  # imported module (the most specific module that exists)
    where: str  # "packages/bio/src/carrousel/bio/scan.py:123"
    lazy: bool  # inside a function (runs at call time, not at import time)


def _modules() -> dict[str, Path]:
    """Every module of packages/*/src by dotted name (a package's ``__init__`` under the package name)."""
    found: dict[str, Path] = {}
    for src in sorted(ROOT.glob("packages/*/src")):
        for path in sorted(src.rglob("*.py")):
            parts = list(path.relative_to(src).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


_STATEMENT_FIELDS = {"body", "orelse", "finalbody", "handlers", "cases"}  # the fields that hold statements


class _ImportCollector(ast.NodeVisitor):
    """Collects (dotted name, line, lazy) of every runtime import; skips ``if TYPE_CHECKING:`` bodies."""

    def __init__(self, module: str, is_package: bool, known: set[str]) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.known = known
        self.depth = 0  # > 0 inside a function
        self.found: list[tuple[str, int, bool]] = []

    def generic_visit(self, node: ast.AST) -> None:
        """Visits the statements under ``node`` only: an import is a statement, and no expression holds one
        (skipping expressions makes a pass over the tree several times faster)."""
        inside = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        self.depth += inside
        for field in node._fields:  # in the tree's order, as ast.NodeVisitor does
            if field in _STATEMENT_FIELDS:
                for child in getattr(node, field):
                    self.visit(child)
        self.depth -= inside

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):  # annotations only: never runs
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, node.lineno, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        for alias in node.names:
            sub = f"{module}.{alias.name}"
            self.found.append((sub if sub in self.known else module, node.lineno, self.depth > 0))


def _resolve(name: str, known: set[str]) -> str | None:
    """The most specific existing module of a dotted import name (``a.b.c`` -> ``a.b`` if only it exists)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


@functools.cache
def _source_facts() -> dict[Path, tuple[tuple[tuple[str, int, bool], ...], tuple[tuple[str, int], ...]]]:
    """Each module's path -> (its imports as :class:`_ImportCollector` finds them, its ``require`` calls).

    Every source file is parsed once per session: the import graph and the dependency checks read it."""
    modules = _modules()
    known = set(modules)
    facts = {}
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        collector = _ImportCollector(name, path.name == "__init__.py", known)
        collector.visit(tree)
        required = _required(tree) if "require(" in text else []  # the full walk only where it can find one
        facts[path] = (tuple(collector.found), tuple(required))
    return facts


def import_edges() -> list[Edge]:
    """Every import of one carrousel module by another, module-level and lazy, without TYPE_CHECKING ones."""
    modules = _modules()
    known = set(modules)
    facts = _source_facts()
    edges: dict[Edge, None] = {}  # ordered and unique
    for name, path in modules.items():
        for imported, line, lazy in facts[path][0]:
            target = _resolve(imported, known) if imported.startswith("carrousel.") else None
            edge = Edge(name, target or "", f"{path.relative_to(ROOT)}:{line}", lazy)
            if target is not None and target != name:
                edges.setdefault(edge)
    return list(edges)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); returns every component, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    nodes = sorted(set(graph) | {t for ts in graph.values() for t in ts})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _describe_cycle(component: list[str], edges: list[Edge]) -> str:
    inside = [e for e in edges if e.source in component and e.target in component]
    lines = [f"import cycle among {', '.join(component)}:"]
    for e in sorted(inside, key=lambda e: (e.source, e.target, e.where)):
        lines.append(f"    {e.source} -> {e.target}  ({e.where}{', inside a function' if e.lazy else ''})")
    return "\n".join(lines)


def test_strongly_connected_finds_cycles_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(), "f": {"f"}}
    assert sorted(c for c in strongly_connected(graph) if len(c) > 1) == [["a", "b", "c"]]
    assert sorted(map(tuple, strongly_connected(graph))) == [("a", "b", "c"), ("d",), ("e",), ("f",)]


def test_import_collector_resolves_relative_submodule_and_lazy_imports() -> None:
    code = (
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "from .sub import thing\n"
        "import carrousel.x.c.deep\n"
        "if TYPE_CHECKING:\n"
        "    from carrousel.x import d\n"
        "else:\n"
        "    from carrousel.x import e\n"
        "def f():\n"
        "    from carrousel.x.b import name\n"
    )
    known = {
        "carrousel.x",
        "carrousel.x.a",
        "carrousel.x.b",
        "carrousel.x.sub",
        "carrousel.x.c",
        "carrousel.x.e",
    }
    collector = _ImportCollector("carrousel.x.a", False, known)
    collector.visit(ast.parse(code))
    got = [(_resolve(n, known), line, lazy) for n, line, lazy in collector.found if n.startswith("carrousel")]
    assert got == [
        ("carrousel.x.b", 2, False),
        ("carrousel.x.sub", 3, False),
        ("carrousel.x.c", 4, False),
        ("carrousel.x.e", 8, False),
        ("carrousel.x.b", 10, True),
    ]


def test_no_import_cycles() -> None:
    """No set of carrousel modules imports itself round, not even through an import inside a function."""
    edges = import_edges()
    graph: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        graph[e.source].add(e.target)
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert not cycles, "break these import cycles:\n" + "\n".join(_describe_cycle(c, edges) for c in cycles)


def test_package_layers() -> None:
    """core imports no domain package; a domain imports no other domain; nothing imports the dev tools."""
    bad = []
    for e in import_edges():
        src, dst = e.source.split(".")[1], e.target.split(".")[1]
        if src != dst and dst != "core":
            bad.append(f"carrousel.{src} imports carrousel.{dst}: {e.source} -> {e.target} ({e.where})")
    for path in sorted(ROOT.glob("packages/*/src/**/*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(from|import)\s+carrousel_devdata\b", text, flags=re.M):
            bad.append(f"{path.relative_to(ROOT)} imports carrousel_devdata, a development tool")
    assert bad == [], "\n".join(bad)


# ---------------------------------------------------------------------------------------------------
# module size
# ---------------------------------------------------------------------------------------------------

SIZE_ALLOWLIST: dict[str, str] = {
    "packages/core/src/carrousel/core/train/trainer.py": (
        "one Trainer class whose loop and step methods share private fit state (an epoch's end and the "
        "checkpoints are in train/epoch_end.py)"
    ),
    "packages/bio/src/carrousel/bio/pwm_kernels.py": (
        "the numba kernels are compiled and disk-cached together by one kernels() factory"
    ),
}
"""Modules allowed over MAX_LINES lines, with the reason. An entry that no longer needs it must go."""


def test_modules_stay_small() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in sorted(ROOT.glob("packages/*/src/**/*.py"))
    }
    over = {p: n for p, n in sizes.items() if n > MAX_LINES and p not in SIZE_ALLOWLIST}
    assert over == {}, f"split these modules (over {MAX_LINES} lines) or allowlist them with a reason: {over}"
    stale = {p: sizes.get(p) for p in SIZE_ALLOWLIST if sizes.get(p, 0) <= MAX_LINES}
    assert stale == {}, f"remove from SIZE_ALLOWLIST (now {MAX_LINES} lines or fewer, or gone): {stale}"


# ---------------------------------------------------------------------------------------------------
# metadata: requires-python, declared dependencies, extras
# ---------------------------------------------------------------------------------------------------


def _project(pkg: str) -> dict[str, object]:
    with open(ROOT / f"packages/{pkg}/pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]  # type: ignore[no-any-return]


def _requirements(pkg: str) -> tuple[list[Requirement], dict[str, list[Requirement]]]:
    project = _project(pkg)
    hard = [Requirement(r) for r in project.get("dependencies", [])]  # type: ignore[attr-defined]
    extras = {
        name: [Requirement(r) for r in reqs]
        for name, reqs in project.get("optional-dependencies", {}).items()  # type: ignore[attr-defined]
    }
    return hard, extras


def _third_party_imports(pkg: str) -> dict[str, str]:
    """Top-level third-party module -> first place it is imported (module level or inside a function)."""
    found: dict[str, str] = {}
    facts = _source_facts()
    for path in sorted((ROOT / f"packages/{pkg}/src").rglob("*.py")):
        imports, required = facts[path]
        names = [(name, line) for name, line, _ in imports] + list(required)
        for name, line in names:
            top = name.split(".")[0]
            if top and top != "carrousel" and top not in sys.stdlib_module_names:
                found.setdefault(top, f"{path.relative_to(ROOT)}:{line}")
    return found


def _required(tree: ast.AST) -> list[tuple[str, int]]:
    """Optional dependencies imported through ``carrousel.core.optional.require("module", ...)``."""
    out = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "require"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append((node.args[0].value, node.lineno))
    return out


# declared but imported nowhere in the package's own code, on purpose
DECLARED_NOT_IMPORTED: dict[tuple[str, str], str] = {
    ("core", "tensorboard"): "extra tensorboard: imported as torch.utils.tensorboard",
    ("core", "onnxscript"): "extra export: used by torch.onnx's dynamo exporter, not imported directly",
    ("bio", "memelite"): "extra bench: imported by benchmarks/bench_bio.py",
    ("core", "ninja"): "extra native: the build tool torch.utils.cpp_extension runs, not imported",
}
VIA_CORE_CLI = {"typer", "rich"}  # domains get them through carrousel-core[cli]


@functools.cache
def _distributions() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions that provide it (one scan of site-packages, which
    takes about a second, for every package's check)."""
    return dict(packages_distributions())


@pytest.mark.parametrize("pkg", PACKAGES)
def test_dependencies_are_the_imports(pkg: str) -> None:
    """Every third-party import is declared (hard or extra) and every declared dependency is imported."""
    hard, extras = _requirements(pkg)
    declared = {canonicalize_name(r.name) for r in hard + [r for rs in extras.values() for r in rs]}
    declared -= {f"carrousel-{p}" for p in PACKAGES}
    dists = _distributions()
    imported: dict[str, str] = {}
    for top, where in _third_party_imports(pkg).items():
        names = dists.get(top)
        assert names, f"{top} ({where}) is imported but not installed"
        imported[canonicalize_name(names[0])] = where
    via_core = VIA_CORE_CLI if pkg != "core" else set()
    missing = {d: w for d, w in imported.items() if d not in declared and d not in via_core}
    assert missing == {}, f"declare these in packages/{pkg}/pyproject.toml: {missing}"
    unused = sorted(d for d in declared if d not in imported and (pkg, d) not in DECLARED_NOT_IMPORTED)
    assert unused == [], f"packages/{pkg}/pyproject.toml declares dependencies it never imports: {unused}"


@pytest.mark.parametrize("pkg", [p for p in PACKAGES if p != "core"])
def test_a_domain_imports_typer_and_rich_in_its_cli_package_alone(pkg: str) -> None:
    """typer and rich (carrousel-core[cli]) are imported, at module level or inside a function, only under
    ``carrousel/<pkg>/cli/``, the one command-line layer of each domain (core's: its ``cli*`` modules,
    tests/test_repository.py). Fails on main: finance's cli.py, cli_global.py and cli_unused.py sat beside
    its library modules; they are now its cli/ package, as bio's, nlp's and speech's."""
    src = ROOT / f"packages/{pkg}/src"
    cli = src / "carrousel" / pkg / "cli"
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path, (imports, _) in _source_facts().items()
        if path.is_relative_to(src) and not path.is_relative_to(cli)
        for name, line, _ in imports
        if name.split(".")[0] in VIA_CORE_CLI | {"click"}
    ]
    assert bad == [], "\n".join(bad)


def test_requires_python_and_one_version() -> None:
    """Python 3.11+ everywhere (tomllib); every domain pins carrousel-core[cli] at the one shared version."""
    projects = {pkg: _project(pkg) for pkg in PACKAGES}
    assert {p["requires-python"] for p in projects.values()} == {">=3.11"}
    version = projects["core"]["version"]
    assert {p["version"] for p in projects.values()} == {version}
    for pkg in DOMAINS:
        core = [r for r in _requirements(pkg)[0] if r.name == "carrousel-core"]
        assert [(r.extras, str(r.specifier)) for r in core] == [({"cli"}, f"=={version}")], pkg


def test_shared_dependencies_have_one_floor() -> None:
    """A dependency declared by several packages (or extras) carries the same specifier everywhere."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    for pkg in PACKAGES:
        hard, extras = _requirements(pkg)
        for where, reqs in [("dependencies", hard), *extras.items()]:
            for r in reqs:
                if not r.name.startswith("carrousel-"):
                    seen[canonicalize_name(r.name)][f"{pkg}:{where}"] = str(r.specifier)
    differing = {name: places for name, places in seen.items() if len(set(places.values())) > 1}
    assert differing == {}, differing


EXTRAS = {
    "core": {"cli", "tensorboard", "export", "native", "plot"},
    "finance": {"yahoo", "plot", "parquet", "all"},
    "bio": {"jaspar", "discover", "plot", "bench", "all"},
    "nlp": {"plot", "teacher", "translate", "all"},
    "speech": {"plot", "all"},
}


@pytest.mark.parametrize("pkg", PACKAGES)
def test_extras_and_the_makefile_installs_them(pkg: str) -> None:
    """The extras other code names in its import guards exist, `all` holds the features, make installs all."""
    extras = _requirements(pkg)[1]
    assert set(extras) == EXTRAS[pkg]
    if "all" in extras:
        (self_ref,) = extras["all"]
        assert self_ref.name == f"carrousel-{pkg}" and self_ref.extras == EXTRAS[pkg] - {"all", "bench"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    block = re.search(r"^EDITABLES :=((?:.*\\\n)*.*)$", makefile, flags=re.M)
    assert block, "Makefile: EDITABLES not found"
    installed = re.search(rf"packages/{pkg}(\[[a-z,]*\])?(\s|$)", block.group(1).replace("\\\n", " "))
    assert installed, f"the Makefile does not install packages/{pkg}"
    wanted = {"all", "bench"} & set(extras) or {"cli", "export", "native"} & set(extras)
    got = set((installed.group(1) or "[]")[1:-1].split(",")) - {""}
    assert got == wanted, f"Makefile installs packages/{pkg}[{','.join(sorted(got))}]; want {sorted(wanted)}"


PRIVATE_IMPORT_ALLOWLIST: dict[tuple[str, str], str] = {
    ("packages/bio/src/carrousel/bio/fasta.py", "carrousel.bio.dna._SKIP"): (
        "fasta's bulk reader runs dna's encoder on whole records: its whitespace set, kept private to dna "
        "whose public encode() is the per-string API"
    ),
    ("packages/bio/src/carrousel/bio/fasta.py", "carrousel.bio.dna._TRANSLATE"): (
        "dna's byte translation table, applied by fasta's bulk reader to whole records (as dna.encode does)"
    ),
    ("packages/bio/src/carrousel/bio/fasta.py", "carrousel.bio.dna._TRANSLATE_MASKED"): (
        "dna's soft-masked translation table, applied by fasta's bulk reader (as dna.encode does)"
    ),
    ("packages/bio/src/carrousel/bio/fasta.py", "carrousel.bio.dna._checked"): (
        "dna's per-record code check (names the first invalid letter), the one check encode() runs too"
    ),
}
"""(module, imported private name) -> why it is shared while private. An entry no longer needed must go."""


def _private_imports() -> set[tuple[str, str]]:
    """``from carrousel.X import _name`` in the source tree, where ``_name`` is no submodule of ``X``."""
    found = set()
    for path in sorted(ROOT.glob("packages/*/src/carrousel/**/*.py")):
        src = next(p for p in path.parents if p.name == "src")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            if not node.module.startswith("carrousel."):
                continue
            folder = src.joinpath(*node.module.split("."))
            for alias in node.names:
                name = alias.name
                if not name.startswith("_") or name.startswith("__"):
                    continue
                if (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file():
                    continue  # a private submodule of the package, imported by its package's modules
                found.add((str(path.relative_to(ROOT)), f"{node.module}.{name}"))
    return found


def test_no_private_names_imported_across_modules() -> None:
    """A helper two modules share has one public home (``gru_native`` took ``lstm_native._weight_grad``,
    ``export.onnx`` took ``graph._Positional``, ``decode.ensemble`` took ``search._call``): a private name
    imported by another module is renamed, moved or allowlisted with a reason."""
    found = _private_imports()
    unlisted = sorted(found - set(PRIVATE_IMPORT_ALLOWLIST))
    assert unlisted == [], f"give these helpers a public name (or allowlist with a reason): {unlisted}"
    stale = sorted(set(PRIVATE_IMPORT_ALLOWLIST) - found)
    assert stale == [], f"remove from PRIVATE_IMPORT_ALLOWLIST (no longer imported): {stale}"

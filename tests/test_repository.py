"""Repository-wide invariants: PEP 420 namespace, core isolation, one shared version, CLI entry points."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "finance", "bio", "nlp", "speech"]


def test_no_namespace_init_file() -> None:
    """A stray carrousel/__init__.py would break the namespace for every other package."""
    strays = sorted(ROOT.glob("packages/*/src/carrousel/__init__.py"))
    assert strays == [], f"remove {strays}: carrousel is a PEP 420 namespace package"
    for pkg in PACKAGES:
        assert (ROOT / f"packages/{pkg}/src/carrousel/{pkg}/__init__.py").is_file()


# what importing any module of carrousel.core must leave out of sys.modules: domain dependencies, the CLI
# stack (typer/rich come with the optional carrousel-core[cli] extra), plotting, the domain packages and
# the development data tool
CORE_MUST_NOT_IMPORT = (
    "torchaudio",
    "soundfile",
    "yfinance",
    "exchange_calendars",
    "statsmodels",
    "Bio",
    "pyjaspar",
    "logomaker",
    "numba",
    "datasets",
    "typer",
    "rich",
    "pandas",
    "matplotlib",
    "scipy",
    "sklearn",
    "carrousel.finance",
    "carrousel.bio",
    "carrousel.nlp",
    "carrousel.speech",
    "carrousel_devdata",
)
CORE_OPTIONAL_MODULES = (
    "carrousel.core.cli",
    "carrousel.core.cli_console",
    "carrousel.core.cli_device",
    "carrousel.core.cli_logging",
    "carrousel.core.cli_merged",
    "carrousel.core.cli_options",
    "carrousel.core.cli_outputs",
    "carrousel.core.cli_params",
    "carrousel.core.cli_samples",
)  # the cli extra (typer, rich), by design


def test_core_imports_no_domain_dependency() -> None:
    """`import carrousel.core`, then every other core module, in a fresh interpreter."""
    code = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        forbidden, seen = {CORE_MUST_NOT_IMPORT!r}, {{}}

        def record(by):
            seen.update({{m: by for m in forbidden if m in sys.modules and m not in seen}})

        import carrousel.core
        record("import carrousel.core")
        for info in pkgutil.walk_packages(carrousel.core.__path__, "carrousel.core."):
            if info.name not in {CORE_OPTIONAL_MODULES!r}:
                importlib.import_module(info.name)
                record(info.name)
        print(", ".join(f"{{m}} (by {{by}})" for m, by in seen.items()))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"carrousel.core pulled in {out.stdout.strip()}"


def test_core_has_no_domain_words() -> None:
    words = ("audio", "ticker", "genome", "yfinance", "torchaudio", "typer")
    offenders = []
    for path in (ROOT / "packages/core/src").rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        cli_extra = f"carrousel.core.{path.stem}" in CORE_OPTIONAL_MODULES
        allowed = {"typer"} if cli_extra else set()  # the CLI helper (extra [cli]) is typer's place
        offenders += [f"{path.name}:{w}" for w in words if w in text and w not in allowed]
    assert offenders == []


def test_every_caplog_level_names_its_logger() -> None:
    """caplog's ``at_level``/``set_level`` given a level alone sets the root logger's level only: a test that ran earlier in the same
    process (a CLI run with ``--quiet``, another order under pytest-xdist) can leave the ``carrousel`` logger
    at ERROR, and the warning under test is then filtered before caplog sees it. Each call names a logger."""
    import re

    call = re.compile(r"caplog\.(?:at_level|set_level)\(([^)]*)\)")
    offenders = [
        f"{path.relative_to(ROOT)}:{args}"
        for path in (ROOT / "tests").rglob("*.py")
        for args in call.findall(path.read_text(encoding="utf-8"))
        if "logger=" not in args and "," not in args
    ]
    assert offenders == []


def test_all_packages_share_one_version() -> None:
    versions = {pkg: version(f"carrousel-{pkg}") for pkg in PACKAGES}
    assert len(set(versions.values())) == 1, versions


@pytest.mark.parametrize("pkg", ["finance", "bio", "nlp", "speech"])
def test_cli_answers_help(pkg: str) -> None:
    from typer.testing import CliRunner

    module = __import__(f"carrousel.{pkg}.cli", fromlist=["app"])
    result = CliRunner().invoke(module.app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


ROOT_ENTRIES = {
    ".ci", ".gitignore", "Makefile", "README.md", "benchmarks", "examples", "packages", "pyproject.toml",
    "scripts", "tests", "tools",
}  # fmt: skip


def test_repository_root_holds_only_the_known_entries() -> None:
    """A stray file committed at the root (a shell's captured stderr, a job's pid file) fails here: four such
    files sat there for several sessions."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    tracked = {line.split("/", 1)[0] for line in listed if line}
    assert tracked - ROOT_ENTRIES == set(), "unexpected files at the repository root"

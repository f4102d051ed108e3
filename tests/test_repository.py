"""Repository-wide invariants: PEP 420 namespace, core isolation, one shared version, CLI entry points."""

from __future__ import annotations

import subprocess
import sys
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


def test_core_imports_no_domain_dependency() -> None:
    code = (
        "import sys, carrousel.core, carrousel.core.nn, carrousel.core.io;"
        "mods=('torchaudio','yfinance','Bio','datasets','typer','pandas','rich');"
        "bad=[m for m in mods if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"carrousel.core pulled in {out.stdout.strip()}"


def test_core_has_no_domain_words() -> None:
    words = ("audio", "ticker", "genome", "yfinance", "torchaudio", "typer")
    offenders = []
    for path in (ROOT / "packages/core/src").rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        offenders += [f"{path.name}:{w}" for w in words if w in text]
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

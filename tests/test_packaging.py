"""The packages as a user installs them: `pip install carrousel-X` from PyPI, outside the repository.

Cheap checks of what the wheels and their README pages (the PyPI description) promise, found by building
the five wheels and running each README's first commands in a fresh venv (no pip install here).
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ("finance", "bio", "nlp", "speech")


def _top(domain: str) -> str:
    """The README up to its first ``## `` heading: what a PyPI visitor reads before anything else."""
    text = (ROOT / "packages" / domain / "README.md").read_text(encoding="utf-8")
    return text.split("\n## ", 1)[0]


def _first_block_lines(domain: str) -> list[str]:
    block = re.search(r"```[a-z]*\n(.*?)```", _top(domain), flags=re.S)
    assert block, f"{domain}: no code block before the first section"
    return [line for line in block.group(1).replace("\\\n", " ").split("\n") if line.strip()]


def _extras(domain: str) -> set[str]:
    doc = tomllib.loads((ROOT / "packages" / domain / "pyproject.toml").read_text(encoding="utf-8"))
    return set(doc["project"]["optional-dependencies"])


def _needed_extras(domain: str, words: list[str]) -> set[str]:
    """The extras a quick-start command needs to run (each names its extra in its error otherwise)."""
    need = {"plot"} if "--plot" in words else set()
    if domain == "bio":
        motifs = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-m", "--motif")]
        if any(not Path(m).suffix for m in motifs) or words[1:2] == ["enrich"]:
            need.add("jaspar")  # a JASPAR ID, name or collection (enrich scans the JASPAR collection)
        if words[1:2] == ["discover"]:
            need.add("discover")
    if domain == "finance":
        if words[1:2] in (["forecast"], ["backtest"]) and not {"--source", "--csv"} & set(words):
            need.add("yahoo")
        if "parquet" in words:
            need.add("parquet")
    if domain == "nlp":
        if "--teacher" in words:
            need.add("teacher")
        if words[1:3] == ["translate", "evaluate"]:
            need.add("translate")
    return need


@pytest.mark.parametrize("domain", DOMAINS)
def test_readme_top_says_how_to_install_and_which_extras_its_first_commands_need(domain: str) -> None:
    """Before, no domain README said `pip install carrousel-X` above its first commands (nlp's sent the
    reader to the repository README, which PyPI does not show), and several of those commands failed on a
    plain install: `bio scan genome.fa.gz -m CTCF` needs [jaspar], `--plot` needs [plot], `finance forecast
    AAPL` needs [yahoo]. Each extra a first command needs is named where the install line is."""
    top = _top(domain)
    assert f"pip install carrousel-{domain}" in top, f"{domain}: no install line before the first section"
    needed: set[str] = set()
    for line in _first_block_lines(domain):
        words = shlex.split(re.sub(r"\s#\s.*$", "", line))
        if words and words[0] == domain:
            needed |= _needed_extras(domain, words)
    assert needed <= _extras(domain), f"{domain}: extras {needed - _extras(domain)} are not in pyproject"
    missing = sorted(e for e in needed if f"carrousel-{domain}[{e}]" not in top and f"`[{e}]`" not in top)
    assert not missing, f"{domain}: its first commands need {missing}, which the README top does not name"


@pytest.mark.parametrize("domain", DOMAINS)
def test_readme_top_marks_carrousel_data_as_the_repository_helper(domain: str) -> None:
    """`carrousel-data` (tools/data) is never published: a `pip install carrousel-finance` user has no such
    command. Before, finance's and nlp's first line was `carrousel-data fetch ...` with no word of that; a
    line that uses it says it is the repository's, and the top says what to do elsewhere."""
    top = _top(domain)
    for line in _first_block_lines(domain):
        if "carrousel-data" in line:
            assert "repository" in line, f"{domain}: {line!r} does not say it is the repository's helper"
    if "carrousel-data" in top:
        assert "pip download" in top or "error names" in top, f"{domain}: no way given outside the repository"


def _artifact_globs(package: str) -> list[str]:
    doc = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = doc["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["src/carrousel"], package
    return list(wheel.get("artifacts", []))


@pytest.mark.parametrize("package", ("core", *DOMAINS))
def test_no_tracked_package_file_is_left_out_of_the_wheel_by_gitignore(package: str) -> None:
    """hatchling leaves git-ignored files out of a wheel unless ``artifacts`` names them: a shipped model
    saved under a name the root .gitignore matches (``runs/``, ``build/``, ``*.egg-info``...) would be in
    the repository and the editable install, and missing from the wheel. Checked with git, no build."""
    src = ROOT / "packages" / package / "src"
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--", str(src)], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    files = [f.decode() for f in tracked if f]
    assert files, package
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "-z"],
        cwd=ROOT,
        input="\0".join(files).encode(),
        capture_output=True,
    ).stdout.split(b"\0")
    globs = [f"packages/{package}/{g}" for g in _artifact_globs(package)]
    dropped = [f.decode() for f in ignored if f and not any(fnmatch.fnmatch(f.decode(), g) for g in globs)]
    assert not dropped, f"{package}: git-ignored, so left out of the wheel: {dropped}"


@pytest.mark.parametrize("package", ("core", *DOMAINS))
def test_each_package_ships_its_licence_text(package: str) -> None:
    """Every pyproject says ``license = "MIT"``, whose one condition is that the notice travels with every
    copy; before, no file held it, and no wheel or source archive carried one. hatchling puts a LICENSE beside
    pyproject.toml into both (``dist-info/licenses/LICENSE``); the five are one text."""
    doc = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text(encoding="utf-8"))
    assert doc["project"]["license"] == "MIT"
    text = (ROOT / "packages" / package / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n") and "The above copyright notice" in text
    assert text == (ROOT / "packages" / "core" / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize("domain", DOMAINS)
def test_readme_naming_an_export_command_names_core_export_extra(domain: str) -> None:
    """Every domain's `export` command needs carrousel-core[export] (onnx, onnxruntime), which no domain
    extra pulls in (`[all]` neither): on a plain install it stops with "run: pip install
    'carrousel-core[export]'". nlp's and speech's export sections said so; finance's and bio's did not, so
    a reader of `finance export` / `bio export` learnt it only from the error (a fresh-install walk)."""
    text = (ROOT / "packages" / domain / "README.md").read_text(encoding="utf-8")
    if re.search(rf"`{domain}(?: [a-z]+)? export\b", text):
        assert "carrousel-core[export]" in text, f"{domain}: its README shows an export command, no extra"

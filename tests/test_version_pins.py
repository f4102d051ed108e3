"""Every pin between the five packages names the one shared version, in the extras too.

`test_architecture.py` checks each domain's `carrousel-core[cli]` dependency; the `carrousel-core[plot]` pins of
the domains' `plot`/`discover`/`all` extras were unchecked, so a release that bumped the versions and the
`[cli]` pins could ship extras that pull the previous carrousel-core.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "finance", "bio", "nlp", "speech")


def _project(pkg: str) -> dict:
    return tomllib.loads((ROOT / "packages" / pkg / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_sample_data_tool_pins_the_shared_version() -> None:
    """tools/data (carrousel-devdata, never published, installed by `make`) pins carrousel-core too: a release
    that bumped the five packages and left it would have `make` install the previous carrousel-core."""
    version = _project("core")["version"]
    tool = tomllib.loads((ROOT / "tools" / "data" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [str(r) for r in map(Requirement, tool["dependencies"]) if r.name.startswith("carrousel-")]
    assert pins == [f"carrousel-core=={version}"], pins


def test_every_carrousel_pin_names_the_shared_version() -> None:
    version = _project("core")["version"]
    wrong = []
    for pkg in PACKAGES:
        project = _project(pkg)
        places = {"dependencies": project.get("dependencies", [])}
        places.update(project.get("optional-dependencies", {}))
        for where, reqs in places.items():
            for req in map(Requirement, reqs):
                if not req.name.startswith("carrousel-"):
                    continue
                if req.name == f"carrousel-{pkg}":  # an extra naming the package's own extras (`all`)
                    ok = not str(req.specifier)
                else:
                    ok = str(req.specifier) == f"=={version}"
                if not ok:
                    wrong.append(f"packages/{pkg}: {where}: {req}")
    assert wrong == [], f"pins other than =={version}: {wrong}"

"""Every module of core's CLI helper (the carrousel-core[cli] extra) imported without typer and rich: one
MissingExtraError naming the extra to install. cli_device, cli_outputs and cli_samples raised a bare
``ModuleNotFoundError: No module named 'typer'`` in an environment holding carrousel-core alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.test_repository import CORE_OPTIONAL_MODULES

_CHILD = textwrap.dedent(
    """
    import importlib.abc, sys

    class Hide(importlib.abc.MetaPathFinder):  # as if typer and rich were not installed
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("typer", "rich"):
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    from carrousel.core.errors import MissingExtraError
    try:
        import {module}
    except MissingExtraError as e:
        print(e)
    """
)


@pytest.mark.parametrize("module", CORE_OPTIONAL_MODULES)
def test_a_cli_module_without_the_extra_names_it(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr[-600:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("run: pip install 'carrousel-core[cli]'"), lines

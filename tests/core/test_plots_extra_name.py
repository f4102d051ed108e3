"""The missing-matplotlib line of core's chart helpers names ``--plot`` only inside a CLI command: a Python
caller of ``carrousel.core.plots`` (``pyplot()``, ``save_png``) read "PNG charts (--plot) needs the
matplotlib package", a flag it never had."""

from __future__ import annotations

import sys

import pytest

from carrousel.core import plots
from carrousel.core.errors import MissingExtraError
from carrousel.core.option_names import flags_named


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError


@pytest.mark.usefixtures("no_matplotlib")
def test_a_python_caller_reads_the_module_a_command_the_flag() -> None:
    with pytest.raises(MissingExtraError) as info:
        plots.pyplot()
    assert str(info.value) == (
        "PNG charts (carrousel.core.plots) needs the matplotlib package, which is not installed; "
        "run: pip install 'carrousel-core[plot]'"
    )
    with (
        flags_named(),
        pytest.raises(MissingExtraError, match=r"^PNG charts \(--plot\) needs the matplotlib"),
    ):
        plots.pyplot()
    with pytest.raises(MissingExtraError, match=r"^the fan chart \(x --plot\) needs"):  # a caller's own words
        plots.pyplot("carrousel-x[plot]", "the fan chart (x --plot)")

"""The READMEs' examples work as written (a newcomer copies them): the Python ones run, the commands parse."""

from __future__ import annotations

import ast
import builtins
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks(readme: Path = README) -> list[str]:
    return re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), flags=re.S)


def test_encoder_example_runs() -> None:
    scope: dict[str, object] = {}
    exec(_python_blocks()[0], scope)
    assert tuple(scope["out"].output.shape) == (3, 12, 64)  # type: ignore[attr-defined]
    assert tuple(scope["out"].last.shape) == (3, 64)  # type: ignore[attr-defined]


def test_trainer_example_learns(tmp_path: Path, monkeypatch: object) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    g = torch.Generator().manual_seed(0)
    n, t = 512, 12
    x = torch.randn(n, t, 8, generator=g)
    lengths = torch.randint(4, t + 1, (n,), generator=g)
    y = (x[:, 0, 0] > 0).long()  # the label is in the first step: the model must carry it
    data = TensorDataset(x, lengths, y)
    scope: dict[str, object] = {
        "loader": DataLoader(data, batch_size=32, shuffle=True, generator=g),
        "val_loader": DataLoader(data, batch_size=64),
    }
    code = _python_blocks()[1].replace("epochs=5", "epochs=5, progress=False")
    exec(code, scope)
    history = scope["result"].history  # type: ignore[attr-defined]
    assert history[-1]["val_loss"] < 0.45 < history[0]["val_loss"]  # chance level is ln 2 = 0.69


CORE_README = README.parent / "packages" / "core" / "README.md"


def _run_core_block(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Runs the core README's ``index``-th Python block as written, alone, in a fresh scope (a newcomer
    pastes one block into a file), from an empty folder."""
    monkeypatch.chdir(tmp_path)
    scope: dict[str, Any] = {"__name__": f"core_readme_block_{index}"}
    exec(
        compile(_python_blocks(CORE_README)[index], f"core-README-block-{index}", "exec", dont_inherit=True),
        scope,
    )
    return scope


def test_core_readme_blocks_are_the_quick_start_and_the_export() -> None:
    """Before, the core README (the page a `pip install carrousel-core` user reads) had one block, the
    export one, which used a model and inputs it never defined; the blocks below must each stand alone."""
    blocks = _python_blocks(CORE_README)
    assert len(blocks) == 4
    for block in blocks:
        assert block.startswith(("import ", "from ")), block[:60]


def test_core_encoder_block_gives_the_shapes_it_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _run_core_block(0, tmp_path, monkeypatch)["out"]
    assert tuple(out.output.shape) == (3, 12, 64) and tuple(out.last.shape) == (3, 64)
    assert tuple(out.state.h.shape) == (4, 3, 32)
    assert float(out.output[2, 4:].abs().max()) == 0.0  # zero past the length


def test_core_trainer_block_learns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run_core_block(1, tmp_path, monkeypatch)["result"]
    assert result.history[-1]["val_acc"] > 0.85  # chance is 0.5; the README says about 0.97


def test_core_bundle_block_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scope = _run_core_block(2, tmp_path, monkeypatch)
    x, lengths = scope["x"], scope["lengths"]
    with torch.no_grad():
        torch.testing.assert_close(
            scope["bundle"].model(x, lengths), scope["tagger"](x, lengths), rtol=0, atol=0
        )
    assert scope["bundle"].assets["tags"] == ["O", "B", "I", "E", "S"]
    assert (tmp_path / "tagger-model" / "bundle.json").is_file()


def test_core_bundle_block_runs_inference_without_the_training_kernels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the block called the GRU tagger with gradients on, so a newcomer's first run built the fused
    C++ training loop (47-88 s on 2 cores) to compare two outputs; its calls now run under no_grad."""
    from carrousel.core.nn import native

    loads: list[bool] = []

    def no_build() -> None:  # records a build or load of the extension instead of doing it
        loads.append(True)
        native._STATE.update(ops=None, reason="not built in this test")

    monkeypatch.setattr(native, "_STATE", {})
    monkeypatch.setattr(native, "_load", no_build)
    scope = _run_core_block(2, tmp_path, monkeypatch)
    assert loads == []  # main: [True], the block's GRU calls ran with gradients on
    assert scope["same"] is True


def test_core_export_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The core README's export block as written: ONNX, int8, the ONNX Runtime module and the torch.export
    program compute the model's function at other sizes."""
    scope = _run_core_block(3, tmp_path, monkeypatch)
    model, x, lengths, x2, lengths2 = (scope[k] for k in ("model", "x", "lengths", "x2", "lengths2"))
    with torch.no_grad():
        want = model(x, lengths)
        torch.testing.assert_close(scope["y"], want, atol=0.05, rtol=0.05)  # int8: within its tolerance
        program = scope["program"].module()
        torch.testing.assert_close(program(x2, lengths2), model(x2, lengths2), atol=1e-5, rtol=1e-4)
    assert isinstance(scope["blob"], bytes) and isinstance(scope["int8"], bytes)


# A package README's measurement pages (packages/nlp/docs/*.md) are read as READMEs: text moved there from one.
DOCS = sorted(README.parent.glob("packages/*/docs/*.md"))
READMES = [README, *sorted(README.parent.glob("packages/*/README.md")), *DOCS]
PROGRAMS = ("finance", "bio", "nlp", "speech")


def test_readme_torchrun_lines_run_the_command_itself() -> None:
    """A domain command under torchrun is written ``torchrun ... --no-python -- nlp ...``: without ``--``
    torchrun takes the command's ``--start`` for its ``--start-method``; without ``--no-python`` it runs
    ``python nlp``, which needs ``$(which nlp)``. Before, the README wrote ``-- $(which nlp)``."""
    lines = [
        m.group(1) for path in READMES for m in re.finditer(r"(torchrun [^`\n]*)", path.read_text("utf-8"))
    ]
    ours = [line for line in lines if set(shlex.split(line)) & set(PROGRAMS)]
    assert ours, lines
    for line in ours:
        words = shlex.split(line)
        assert "--" in words and words[words.index("--") - 1] == "--no-python", line
        assert words[words.index("--") + 1] in PROGRAMS, line


def _undefined_names(code: str) -> list[str]:
    """Names a block reads that it never binds (import, assignment, def, class, argument, loop or ``as``
    target) and that are no builtins: what a newcomer pasting it alone into a file gets a NameError for."""
    tree = ast.parse(code)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    loads = (n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
    return sorted({n.id for n in loads} - bound)


def test_undefined_names_finds_what_a_block_never_binds() -> None:
    code = "import numpy as np\nfrom a import b\nx = np.ones(3)\nfor i in range(2):\n    y = f(x, i, z=b)\n"
    assert _undefined_names(code) == ["f"]
    assert _undefined_names("class C:\n    def m(self, k):\n        return self, k, C\n") == []


@pytest.mark.parametrize(
    "readme",
    [*sorted(README.parent.glob("packages/*/README.md")), *DOCS],
    ids=lambda p: p.parent.name if p.name == "README.md" else str(p.relative_to(README.parent / "packages")),
)
def test_package_readme_python_blocks_define_every_name_they_use(readme: Path) -> None:
    """A package README is the PyPI page: each Python block is pasted alone. Before, bio's (the only one
    above its first section) ended with `model.logits(windows)`, `windows` defined nowhere: a NameError
    after a scan and a training run, in a fresh install walk."""
    undefined = {
        i: names for i, block in enumerate(_python_blocks(readme)) if (names := _undefined_names(block))
    }
    assert undefined == {}, f"{readme.parent.name} README: block -> names it uses but never defines"


# The commands of the READMEs, inline and in code blocks: tests/test_readme_commands.py.

"""The READMEs' examples work as written (a newcomer copies them): the Python ones run, the commands parse."""

from __future__ import annotations

import enum
import re
import shlex
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset
from typer.main import get_command

from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

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


def test_core_export_example_runs() -> None:
    """The core README's export block, on a model built on RecurrentEncoder (its ``model``, ``x``, ``lengths``
    and check sizes ``x2``, ``lengths2``): ONNX, int8, the ONNX Runtime module and the torch.export program
    compute the model's function at other sizes. Before, no test ran the block as written."""
    torch.manual_seed(0)
    encoder = RecurrentConfig(input_size=8, hidden_size=16, bidirectional=True, num_layers=2)
    model = SequenceRegressor(SequenceRegressorConfig(encoder=encoder, out_features=2)).eval()
    x, lengths = torch.randn(3, 12, 8), torch.tensor([12, 7, 4])
    x2, lengths2 = torch.randn(5, 20, 8), torch.tensor([20, 3, 9, 1, 15])
    scope: dict[str, object] = dict(model=model, x=x, lengths=lengths, x2=x2, lengths2=lengths2)
    (code,) = _python_blocks(README.parent / "packages" / "core" / "README.md")
    exec(code, scope)
    with torch.no_grad():
        want = model(x, lengths)
        torch.testing.assert_close(scope["y"], want, atol=0.05, rtol=0.05)  # int8: within its tolerance
        program = scope["program"].module()  # type: ignore[attr-defined]
        torch.testing.assert_close(program(x2, lengths2), model(x2, lengths2), atol=1e-5, rtol=1e-4)
    assert isinstance(scope["blob"], bytes) and isinstance(scope["int8"], bytes)


READMES = [README, *sorted(README.parent.glob("packages/*/README.md"))]
PROGRAMS = ("finance", "bio", "nlp", "speech")


def _readme_commands() -> list[tuple[str, list[str]]]:
    """Every ``finance|bio|nlp|speech ...`` line of the READMEs' code blocks: (where, words)."""
    found = []
    for path in READMES:
        text = path.read_text(encoding="utf-8")
        for block in re.finditer(r"```[a-z]*\n(.*?)```", text, flags=re.S):
            first = text[: block.start()].count("\n") + 2
            lines = block.group(1).split("\n")
            for offset, line in enumerate(lines):
                if offset and lines[offset - 1].endswith("\\"):
                    continue  # read with the line it continues
                for more in lines[offset + 1 :]:
                    if not line.endswith("\\"):
                        break
                    line = line[:-1] + " " + more.strip()
                line = re.sub(r"\s#\s.*$", "", line)  # a comment
                line = re.sub(r"\[(--[^\]]*)\]", r"\1", line)  # optional flags: [--fallback-clauses]
                for part in re.split(r"\s(?:&&|\||;)\s", line):
                    words = shlex.split(re.sub(r"^(\$ |\S*/bin/|\w+=\S+ )+", "", part.strip()))
                    if words and words[0] in PROGRAMS:
                        found.append((f"{path.relative_to(README.parent)}:{first + offset}", words))
        for span in re.finditer(r"`(torchrun [^`]*)`", text):  # torchrun ... --no-python -- nlp ...
            words = shlex.split(span.group(1))
            if "--" in words and words[words.index("--") + 1 :][:1] in ([p] for p in PROGRAMS):
                where = f"{path.relative_to(README.parent)}:{text[: span.start()].count(chr(10)) + 1}"
                found.append((where, words[words.index("--") + 1 :]))
    return found


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


def test_readme_commands_name_real_commands_options_and_choices() -> None:
    """A command a newcomer copies from a README parses: its sub-commands exist, every option is one of
    that command's (``--help``), and a value of a choice option is one of its choices."""
    from carrousel.nlp.cli._common import RunByDefault

    commands = _readme_commands()
    assert len(commands) > 100  # the extraction still finds the READMEs' commands
    problems = []
    for where, words in commands:
        cmd = get_command(__import__(f"carrousel.{words[0]}.cli", fromlist=["app"]).app)
        i = 1
        while (
            isinstance(getattr(cmd, "commands", None), dict) and i < len(words) and words[i] in cmd.commands
        ):
            cmd, i = cmd.commands[words[i]], i + 1  # type: ignore[attr-defined]
        if isinstance(cmd, RunByDefault):  # nlp generate/translate OPTIONS...: the run command
            cmd = cmd.commands["run"]
        if getattr(cmd, "commands", None):
            problems.append(f"{where}: {' '.join(words[: i + 1])}: no such command")
            continue
        params = {opt: p for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}  # type: ignore[attr-defined]
        rest = iter(words[i:])
        for word in rest:
            if word == "--":
                break
            if not word.startswith("-") or re.fullmatch(r"-[\d.]+", word):
                continue
            name = word.split("=", 1)[0]
            if name not in params:
                problems.append(f"{where}: {' '.join(words[:i])}: no option {name}")
                continue
            p = params[name]
            if p.is_flag or "=" in word:
                continue
            value = next(rest, None)
            kind = getattr(getattr(p, "type_descriptor", None), "annotation", None)
            if not (isinstance(kind, type) and issubclass(kind, enum.Enum)):
                continue
            if not set(str(value).split("|")) <= {e.value for e in kind}:  # valid|test: alternatives
                problems.append(f"{where}: {' '.join(words[:i])} {name} {value}: not a choice")
    assert not problems, "\n".join(problems)

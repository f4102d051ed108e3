"""Loading a bundle with an embedding must not import PyTorch's compiler stack (``torch._dynamo``,
about 1.2 s): the bundle's shape check built the network on the meta device, whose random initialisers
import it. Checked in a fresh process on the shipped sentiment model, through the CLI's own path."""

from __future__ import annotations

import subprocess
import sys


def test_shipped_sentiment_prediction_does_not_import_dynamo() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['nlp', 'sentiment', 'predict', 'a wonderful, moving film']\n"
        "from carrousel.nlp.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('dynamo', 'torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("positive\t")
    assert lines[-1] == "dynamo False"

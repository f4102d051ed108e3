"""The CLI boundary's line for a foreign ``OSError``: too many open files names the limit and its fix."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from carrousel.core import cli

resource = pytest.importorskip("resource")  # POSIX only: the limit and ulimit


def test_too_many_open_files_names_the_limit_and_the_fix_not_the_path() -> None:
    """EMFILE (e.g. 'nlp translate run' with ~200 --ensemble members under 'ulimit -n 1024', each model
    folder keeping a few descriptors open) said '...; check the path, its permissions and free space' on
    main: wrong advice. It names the soft RLIMIT_NOFILE and says to raise it or load fewer models."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    limit = None if soft == resource.RLIM_INFINITY else soft
    line = cli.error_line(OSError(errno.EMFILE, os.strerror(errno.EMFILE), "/m/17/weights.pt"))
    assert "too many open files" in line and "ulimit -n" in line and "fewer models" in line, line
    assert "permissions" not in line and "free space" not in line, line
    if limit is not None:
        assert f"may open {limit})" in line, line


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.ENOENT])
def test_other_os_errors_keep_their_line(code: int) -> None:
    line = cli.error_line(OSError(code, os.strerror(code), "/x/y"))
    assert line == f"/x/y: {os.strerror(code)}; check the path, its permissions and free space"


def test_a_command_out_of_descriptors_says_so_in_one_line(tmp_path: os.PathLike[str]) -> None:
    """A real command run under a lowered RLIMIT_NOFILE (64), opening files until the system refuses:
    one 'error:' line naming the limit and 'ulimit -n', exit 1, no traceback."""
    app = textwrap.dedent(
        """
        import resource, sys
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        from carrousel.core import cli
        app = cli.create_app("toy", "A toy.", "toy 1.0")

        @cli.command(app)
        def hold(folder: str) -> None:
            '''Opens files and keeps them open.'''
            kept = [open(sys.argv[0], "rb") for _ in range(10_000)]
            print(len(kept))

        cli.run(app, "toy")
        """
    )
    script = os.path.join(os.fspath(tmp_path), "toy.py")
    with open(script, "w", encoding="utf-8") as f:
        f.write(app)

    # the script lowers its own limit first: a preexec_fn is not safe in a pytest worker running threads
    proc = subprocess.run([sys.executable, script, "hold", "x"], capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "too many open files (this process may open 64)" in lines[0], lines[0]
    assert "ulimit -n" in lines[0] and "permissions" not in lines[0], lines[0]

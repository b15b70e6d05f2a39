"""Run many command lines in one process: ``python -m tests.bad_input_driver CASES.json``.

A CLI process costs seconds on a loaded machine; a table of 200 bad inputs run one process each
would cost minutes. This calls ``gp_automl.cli.main`` for each case of CASES.json (a list of
``[id, argv]``) as the ``gp-automl`` entry point does, with its own stdout and stderr captured,
and prints one JSON object: per case its exit code, its stderr, and the files of the working
directory it created, changed or removed. An exception escaping ``main`` is written to the case's
stderr as Python would print it, so a traceback is seen as one. ``tests/integration/
test_bad_input_table.py`` checks a sample of cases against real subprocesses.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import sys
import traceback
from pathlib import Path

from gp_automl.cli import main


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a file by its bytes' digest, anything else by its kind (a named
    pipe is never opened)."""
    entries = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode):
                entries[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                entries[str(path.relative_to(root))] = stat.filemode(mode)[0]
    return entries


def run_case(argv: list[str]) -> tuple[int, str, str]:
    """main(argv)'s exit code, stdout and stderr, as the console script would give them."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # what the console script turns into an exit code
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - exactly what the test looks for: Python's traceback
            traceback.print_exc()
            code = 1
    return code, out.getvalue(), err.getvalue()


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(
        [f"created {p}" for p in after.keys() - before.keys()]
        + [f"removed {p}" for p in before.keys() - after.keys()]
        + [f"changed {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    )


def main_driver(cases_file: str) -> None:
    cases = json.loads(Path(cases_file).read_text())
    root = Path.cwd()
    results = {}
    progress = os.environ.get("BAD_INPUT_PROGRESS")  # a file naming the case under way, for a case that hangs
    for case_id, argv in cases:
        if progress:
            Path(progress).write_text(case_id)
        before = snapshot(root)
        code, stdout, stderr = run_case(argv)
        after = snapshot(root)
        results[case_id] = {"code": code, "stdout": stdout, "stderr": stderr, "changes": changes(before, after)}
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main_driver(sys.argv[1])

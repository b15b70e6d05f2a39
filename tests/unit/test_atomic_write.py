"""A write that fails for real (a file-size limit: EFBIG) leaves the old file and no temporary one,
and is one ``WriteError`` naming the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_write_past_the_file_size_limit_keeps_the_old_file(tmp_path):
    target = tmp_path / "checkpoint.json"
    target.write_text("old")
    code = textwrap.dedent(f"""
        import resource
        from gp_automl.errors import WriteError
        from gp_automl.rundir import atomic_write_bytes
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))  # CPython ignores SIGXFSZ: EFBIG
        try:
            atomic_write_bytes({str(target)!r}, b"x" * 100_000)
        except WriteError as exc:
            print(exc)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout.strip() == f"cannot write {target}: File too large"
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["checkpoint.json"]

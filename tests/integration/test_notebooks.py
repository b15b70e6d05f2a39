"""The notebooks in notebooks/ run top to bottom without an error, each in a fresh kernel and folder."""

from __future__ import annotations

import nbclient  # the test extra; a missing install must fail here, not skip the notebooks
import nbformat
import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_found():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_cluster.ipynb", "03_run_directory.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    # The kernel is the test's own interpreter (jupyter_client runs "python" kernels with sys.executable);
    # the notebook's files (run directories, exported scripts) go to a temporary folder.
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors

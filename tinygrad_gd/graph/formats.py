"""Which file a drawing goes to: the format a path's suffix names, for `render_graph` and
the command line's `graph -o PATH` alike, checked before anything is drawn or written.

- `.svg`, `.png`, `.pdf`, `.jpg` ... (any of Graphviz's output formats): Graphviz's
  `dot` program lays the graph out and renders it;
- `.dot` and `.gv`: the DOT text as drawn (`draw_graph(...).source`), written without
  any Graphviz program;
- any other suffix (`.txt`, `.html`) is refused, naming the ones that work; a path
  without a suffix gets its format's (`loss` -> `loss.svg`).

`file_path` reads a path as users write it (`~/loss.png`: in the home folder) and refuses,
in one line, what names no file (42, None, "", `.png` alone); `make_folder` makes a
missing folder or says in one line why it cannot.
"""
from __future__ import annotations

import os

from pathlib import Path

import graphviz

from ..files import _refusal, as_path, file_in_the_way

__all__ = ["FORMATS", "PAGE_SUFFIXES", "format_of", "suffix_help", "check_folder", "file_path",
           "make_folder"]

# what a suffix means: Graphviz's formats, less those that open a window instead of
# writing a file, and VRML, which also writes a PNG per node into the working folder
# (node1.png: a user's file of that name replaced); `gv` is DOT too
FORMATS: dict[str, str] = {
    **{name: name for name in sorted(graphviz.FORMATS)
       if name not in ("x11", "xlib", "gtk", "cgimage", "vrml")},
    "gv": "dot"}
SOURCE = "dot"  # the DOT text: no Graphviz program needed
PAGE_SUFFIXES = (".html", ".htm")  # the backward steps' page (backward_steps, graph --steps)


def format_of(suffix: str) -> str | None:
    """The format a suffix (with or without its dot, any case) names; None: no format."""
    return FORMATS.get(suffix.lower().lstrip("."))


def suffix_help(suffix: str, page: str) -> str:
    """What to do about a suffix that names no format: the suffixes that work, and where
    an HTML page comes from (`page`: the function or option that writes one)."""
    html = (f" (the HTML page of the backward pass step by step comes from {page})"
            if suffix.lower() in (".html", ".htm") else "")
    return (f"give it the suffix .svg, .png, .pdf or .dot (the DOT text, needing no "
            f"Graphviz), or another of Graphviz's formats such as .jpg{html}")


def check_folder(target: Path, where: str) -> None:
    """Refuse, in one line, a path whose folder cannot be made because a file is in its
    way (`r.png/x.png` where r.png is a file); a missing folder is fine (it is made)."""
    blocker = file_in_the_way(target)
    if blocker is not None:
        raise NotADirectoryError(f"{where}: cannot write {str(target)!r}: {str(blocker)!r} is a "
                                 f"file, not a folder; choose another path")


def file_path(path: object, where: str, example: str) -> Path:
    """`path` as a Path (`files.as_path`: `~` expanded; 42, None and "" refused), or one
    line saying why it names no file: a suffix alone (`.png` would become `.png.svg`).
    A name ending in a dot (`graph.`) has no suffix: the format's is added (`graph.svg`).
    A text ending in a slash (`out/`) names a folder: refused, not written as `out.svg`
    beside it (a Path drops the slash)."""
    target = as_path(path, where, example)
    if isinstance(path, str) and path.endswith(("/", os.sep)):
        raise IsADirectoryError(f"{where}: {path!r} names a folder; give a file path such as "
                                f"{str(target / example)!r}")
    if target.name.endswith(".") and target.name.strip("."):  # (not `graph..svg`)
        target = target.with_name(target.name.rstrip("."))
    name = target.name
    if name.startswith(".") and (format_of(name) or name.lower() in PAGE_SUFFIXES):
        raise ValueError(f"{where}: the path {str(target)!r} is a suffix without a file name; "
                         f"give the file a name, e.g. "
                         f"{str(target.with_name(Path(example).stem + name))!r}")
    return target


def make_folder(target: Path, where: str) -> None:
    """Make the folder `target` goes in (a missing one is made), or one line saying why not:
    `/proc/nope/x.png` raised FileNotFoundError from deep inside pathlib."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _refusal(type(err), err.errno,
                       f"{where}: cannot create the folder {str(target.parent)!r} for "
                       f"{str(target)!r} ({err.strerror or err}); create it first or choose "
                       f"another path") from None

"""The `tinygrad-gd` command line (also `python -m tinygrad_gd`).

    tinygrad-gd demo [NAME ...] [--list] [--out DIR] [--seed N] [--epochs N] [--no-graphs]
                     [--data PATH]
        Train the source documents' networks (all, in order, or the named ones), print
        each document's table under a heading, and write each network's computation
        graph, forward and backward views, as SVG into DIR (default ./tinygrad_gd_out),
        and beside them the document's pictures drawn from the run (PNG, named
        NAME-PICTURE.png; needs matplotlib, the `plot` extra). --no-graphs writes neither.
    tinygrad-gd graph NAME [--mode forward|backward] [--format svg|png|pdf|dot] [-o PATH]
                      [--seed N] [--data PATH]
        Draw one network's graph after one training step; `--format dot` writes the DOT
        text and needs no Graphviz program.
    tinygrad-gd graph NAME --steps [-o FILE.html]
        The backward pass step by step: one self-contained HTML page, a frame per step.

The networks are the scripts in `tinygrad_gd.examples` (examples/ in the repository);
`EXAMPLES` lists them in the documents' order. Bad arguments give one line on stderr
and exit code 2; a network that cannot run here (its data missing) gives exit code 1.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

__all__ = ["main", "EXAMPLES", "load_examples", "DEFAULT_OUT"]

# Module names under tinygrad_gd.examples, in the order `demo` runs them.
EXAMPLES: tuple[str, ...] = (
    "multi_input", "freeze_weight", "multi_output", "multi_in_out", "mnist_single_layer",
    "slope", "admissions", "blog_mlp",
)
DEFAULT_OUT = "tinygrad_gd_out"
MODES = ("forward", "backward")
FORMATS = ("svg", "png", "pdf", "dot")

# What an example raises when its data or an optional package is missing on this machine.
_MISSING = (ModuleNotFoundError, FileNotFoundError)


class UsageError(Exception):
    """Bad command-line input: reported as one line on stderr, exit code 2."""


def _usage(command: str, message: str) -> UsageError:
    return UsageError(f"tinygrad-gd {command}: error: {message}")


class _Parser(argparse.ArgumentParser):
    """argparse, but errors raise UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message}")


# ---------------------------------------------------------------------------------------
# The examples


def load_examples() -> dict[str, ModuleType]:
    """The example modules by their short NAME ("multi-input", ...), in demo order."""
    modules = [importlib.import_module(f"tinygrad_gd.examples.{name}") for name in EXAMPLES]
    return {module.NAME: module for module in modules}


def _select(examples: dict[str, ModuleType], names: Sequence[str], command: str
            ) -> list[ModuleType]:
    unknown = [name for name in names if name not in examples]
    if unknown:
        raise _usage(command, f"unknown network {', '.join(map(repr, unknown))}; valid names: "
                              f"{', '.join(examples)} (see tinygrad-gd demo --list)")
    return [examples[name] for name in names] if names else list(examples.values())


def _data_kwargs(function: Any, data: str | None) -> dict[str, Any]:
    """Pass --data only to the examples whose run/graph_step take a data path."""
    if data is not None and "data" in inspect.signature(function).parameters:
        return {"data": data}
    return {}


# ---------------------------------------------------------------------------------------
# Argument checks


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a number >= 1, got 0")
    return value


def _writable_folder(path: Path, command: str) -> Path:
    """Create the folder if needed and make sure a file can be written in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise _usage(command, f"cannot write to the output folder {str(path)!r} "
                              f"({err.strerror or err}); pass --out with a writable "
                              f"folder") from None
    return path


def _writable_file(path: Path, command: str) -> Path:
    folder = path.parent
    if path.is_dir():
        raise _usage(command, f"the output path {str(path)!r} is a folder; give a file "
                              f"name, e.g. -o {path / 'graph.svg'}")
    if not folder.is_dir():
        raise _usage(command, f"cannot write {str(path)!r}: the folder {str(folder)!r} "
                              f"does not exist; create it or choose another -o path")
    try:  # tried, not asked of os.access: root passes that check where writes still fail
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise _usage(command, f"cannot write {str(path)!r}: the folder {str(folder)!r} "
                              f"is not writable ({err.strerror or err}); choose another "
                              f"-o path") from None
    return path


# ---------------------------------------------------------------------------------------
# Drawing


def _graph_unavailable(need_dot: bool = True) -> str | None:
    """Why diagrams cannot be drawn here, in one line; None when they can."""
    try:
        importlib.import_module("tinygrad_gd.graph")
    except ImportError as err:
        return f"tinygrad_gd.graph cannot be imported ({err})"
    if need_dot and shutil.which("dot") is None:
        return ("Graphviz's `dot` program is not on PATH (install Graphviz, e.g. "
                "apt-get install graphviz)")
    return None


def _draw(module: ModuleType, mode: str, seed: int, data: str | None) -> Any:
    """The graphviz.Digraph of one training step of the example's network."""
    from .graph import draw_graph

    loss, params = module.graph_step(seed, **_data_kwargs(module.graph_step, data))
    return draw_graph(loss, params=params, mode=mode)


def _pictures_unavailable() -> str | None:
    """Why pictures cannot be drawn here, in one line; None when they can."""
    from .plot import available

    return available()


def _makes_pictures(module: ModuleType) -> bool:
    return callable(getattr(module, "save_pictures", None))


def _write_diagrams(module: ModuleType, out: Path, seed: int, data: str | None) -> list[Path]:
    written = []
    for mode in MODES:
        digraph = _draw(module, mode, seed, data)
        path = out / f"{module.NAME}-{mode}.svg"
        path.write_bytes(digraph.pipe(format="svg"))
        written.append(path)
    from .graph import draw_graph

    # an example's further diagrams (slope: the slides' one weight): NAME-SUFFIX-MODE.svg
    for suffix, step in getattr(module, "EXTRA_GRAPHS", {}).items():
        for mode in MODES:
            loss, params = step(seed)
            path = out / f"{module.NAME}-{suffix}-{mode}.svg"
            path.write_bytes(draw_graph(loss, params=params, mode=mode).pipe(format="svg"))
            written.append(path)
    return written


# ---------------------------------------------------------------------------------------
# Commands


def _list(examples: dict[str, ModuleType]) -> int:
    width = max(len(name) for name in examples)
    for name, module in examples.items():
        print(f"{name:<{width}}  {module.TITLE}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    examples = load_examples()
    if args.list:
        return _list(examples)
    selected = _select(examples, args.names, "demo")
    skipped_graphs = "turned off with --no-graphs" if args.no_graphs else _graph_unavailable()
    # only networks that have pictures need matplotlib (or the folder)
    picturing = any(_makes_pictures(module) for module in selected)
    skipped_pictures = ("turned off with --no-graphs" if args.no_graphs
                        else _pictures_unavailable() if picturing else None)
    drawing_pictures = picturing and skipped_pictures is None
    out = (None if skipped_graphs and not drawing_pictures
           else _writable_folder(Path(args.out), "demo"))

    failures = skipped = pictures = 0
    for module in selected:
        print(f"=== {module.NAME}: {module.TITLE}")
        print(f"    (document: seeds/{module.DOCUMENT})")
        print()
        try:
            result = module.run(seed=args.seed, epochs=args.epochs, verbose=True,
                                **_data_kwargs(module.run, args.data))
        except _MISSING as err:
            # data the user named must be there; data looked up by default may simply not
            # be on this machine (the admissions CSV is not shippable), which is no failure
            if args.data is None:
                skipped += 1
            else:
                failures += 1
            print(f"skipped {module.NAME}: {err}", file=sys.stderr)
            print()
            continue
        drawn = True
        if out is not None and not skipped_graphs:
            try:
                _write_diagrams(module, out, args.seed, args.data)
            except Exception as err:  # a drawing problem must not stop the other networks
                drawn = False
                print(f"diagrams of {module.NAME} failed: {type(err).__name__}: {err}",
                      file=sys.stderr)
        if out is not None and drawing_pictures and _makes_pictures(module):
            try:
                pictures += len(module.save_pictures(result, out, seed=args.seed,
                                                     epochs=args.epochs))
            except Exception as err:  # as with diagrams: report, go on with the others
                drawn = False
                print(f"pictures of {module.NAME} failed: {type(err).__name__}: {err}",
                      file=sys.stderr)
        failures += not drawn
        print()

    if drawing_pictures:
        print(f"Pictures ({pictures} PNG files, NAME-PICTURE.png) written to {out.resolve()}")
    elif picturing:
        print(f"Pictures skipped: {skipped_pictures}")
    if not skipped_graphs:
        print(f"Diagrams (forward and backward views, SVG) written to {out.resolve()}")
    else:
        print(f"Diagrams skipped: {skipped_graphs}")
    if skipped:
        print(f"{skipped} of {len(selected)} network(s) skipped: their data is not on this "
              f"machine (see above for what to pass)")
    if failures:
        print(f"{failures} of {len(selected)} network(s) could not run or be drawn here "
              f"(see above)", file=sys.stderr)
    return 1 if failures else 0


def _graph(args: argparse.Namespace) -> int:
    module = _select(load_examples(), [args.name], "graph")[0]
    if args.steps:
        return _steps(args, module)
    path = Path(args.output or f"{module.NAME}-{args.mode}.{args.format}")
    _writable_file(path, "graph")
    problem = _graph_unavailable(need_dot=args.format != "dot")
    if problem:
        hint = "; --format dot writes the DOT text without it" if "dot" in problem else ""
        print(f"graph: cannot draw: {problem}{hint}", file=sys.stderr)
        return 1
    try:
        digraph = _draw(module, args.mode, args.seed, args.data)
    except _MISSING as err:
        print(f"graph: cannot build {module.NAME}: {err}", file=sys.stderr)
        return 1
    try:
        rendered = (digraph.source.encode() if args.format == "dot"
                    else digraph.pipe(format=args.format))
    except Exception as err:  # Graphviz failed
        print(f"graph: cannot draw {path}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    try:
        path.write_bytes(rendered)
    except OSError as err:  # the path itself: a usage error, as the checks above
        raise _usage("graph", f"cannot write {str(path)!r} ({err.strerror or err}); choose "
                              f"another -o path") from None
    print(f"{module.NAME} ({args.mode} view) written to {path}")
    return 0


def _steps(args: argparse.Namespace, module: ModuleType) -> int:
    """`graph NAME --steps`: the backward pass step by step, one HTML page."""
    path = Path(args.output or f"{module.NAME}-steps.html")
    _writable_file(path, "graph")
    problem = _graph_unavailable()
    if problem:
        print(f"graph: cannot draw the steps: {problem}", file=sys.stderr)
        return 1
    from .graph import backward_steps

    try:
        loss, params = module.graph_step(args.seed, **_data_kwargs(module.graph_step,
                                                                   args.data))
    except _MISSING as err:
        print(f"graph: cannot build {module.NAME}: {err}", file=sys.stderr)
        return 1
    try:
        page = backward_steps(loss, params=params).html
    except Exception as err:  # Graphviz failed
        print(f"graph: cannot draw {path}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as err:
        raise _usage("graph", f"cannot write {str(path)!r} ({err.strerror or err}); choose "
                              f"another -o path") from None
    print(f"{module.NAME} (backward pass step by step) written to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinygrad-gd",
                     description="Train the source documents' networks with tinygrad_gd "
                                 "and draw their computation graphs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the networks, print their tables, draw them",
                               description="Run every network in order (or the named "
                                           "ones), print each document's table and write "
                                           "the graph diagrams and the documents' "
                                           "pictures.")
    demo.add_argument("names", nargs="*", metavar="NAME", help="networks to run (default: all)")
    demo.add_argument("--list", action="store_true", help="list the networks and exit")
    demo.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                      help=f"folder for the diagrams and pictures (default: ./{DEFAULT_OUT})")
    demo.add_argument("--no-graphs", action="store_true",
                      help="draw nothing: no diagrams and no pictures")
    demo.set_defaults(handler=_demo)

    graph = commands.add_parser("graph", help="draw one network's graph after one step",
                                description="Draw the computation graph of one network "
                                            "after one training step.")
    graph.add_argument("name", metavar="NAME", help="the network (see demo --list)")
    graph.add_argument("--steps", action="store_true",
                       help="write the backward pass step by step as one HTML page "
                            "(-o FILE.html; default NAME-steps.html)")
    graph.add_argument("--mode", choices=MODES, default="forward",
                       help="forward values or backward gradients (default: forward)")
    graph.add_argument("--format", choices=FORMATS, default="svg",
                       help="output format; dot is the DOT text (default: svg)")
    graph.add_argument("-o", "--output", metavar="PATH",
                       help="output file (default: NAME-MODE.FORMAT here)")
    graph.set_defaults(handler=_graph)

    for sub in (demo, graph):
        sub.add_argument("--seed", type=_non_negative_int, default=0, metavar="N",
                         help="random seed of weights, data split and batches (default: 0)")
        sub.add_argument("--data", metavar="PATH",
                         help="admissions CSV for the admissions network (default: "
                              "../shared/data/student_admissions.csv beside the repository)")
    demo.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                      help="epochs or iterations of every network (default: each "
                           "document's own)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.handler(args)
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help and --version exit through argparse
        return exit_.code if isinstance(exit_.code, int) else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

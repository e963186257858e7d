"""Wall time of `codegen build` and `codegen check` beside a bare `datamodel-codegen` run.

All three run in the same invocation, on the same machine state, as fresh processes (what a
developer or CI pays): `build` writes every output, `check` renders everything in memory and
compares, and the reference is datamodel-code-generator's own CLI turning the same JSON Schema
into Pydantic models, one output only, with the same model options. Target: build and check
each within 1.5x of the reference.

    python benchmarks/bench_build.py [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _reference_command(schema: Path, out: Path) -> list[str]:
    from codegen.targets.pydantic import cli_arguments  # the options the build itself uses

    return [
        sys.executable,
        "-m",
        "datamodel_code_generator",
        "--input",
        str(schema),
        "--output",
        str(out),
        *cli_arguments(),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in ("spec", "generated"):
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", work)
        schema = work / "generated" / "narrative_streams.schema.json"
        commands = {
            "codegen build (all outputs)": [sys.executable, "-m", "codegen", "build", "-q"],
            "codegen check (all outputs)": [sys.executable, "-m", "codegen", "check", "-q"],
            "datamodel-codegen (schemas.py only)": _reference_command(
                schema, work / "reference_models.py"
            ),
        }
        for cmd in commands.values():  # warm the file cache and .pyc files once
            _time(cmd, work)
        times: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(args.runs):  # interleaved, so drift in machine load hits all alike
            for label, cmd in commands.items():
                times[label].append(_time(cmd, work))
    reference = statistics.median(times["datamodel-codegen (schemas.py only)"])
    print(
        f"{'command':40} {'median s':>9} {'min s':>7} {'vs reference':>13}   ({args.runs} runs each)"
    )
    for label, values in times.items():
        median = statistics.median(values)
        print(f"{label:40} {median:9.3f} {min(values):7.3f} {median / reference:12.2f}x")


if __name__ == "__main__":
    main()

"""How long `lerconnect --help` and `lerconnect --version` take: wall time of the real console script.

Median (and min/max) of N runs each, in fresh processes, with the plugin command index warm (as
every run after the first in an environment has it), plus one `--help` with no index (the first
run after installing or upgrading a plugin, which loads every plugin once to write it).
    .venv/bin/python benchmarks/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connector_core.command_index import CACHE_DIR_VARIABLE


def wall_time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("lerconnect", path=str(Path(sys.executable).parent)) or shutil.which("lerconnect")
    if script is None:
        sys.exit("no `lerconnect` console script: run `python3 tasks.py install` first")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, CACHE_DIR_VARIABLE: cache}
        cold = wall_time([script, "--help"], env)
        print(f"{script} --help, no command index yet: {cold:.3f} s")
        for option in ("--help", "--version"):
            times = [wall_time([script, option], env) for _ in range(args.runs)]
            print(
                f"{script} {option}: median {statistics.median(times):.3f} s "
                f"(min {min(times):.3f}, max {max(times):.3f}, {args.runs} runs)"
            )


if __name__ == "__main__":
    main()

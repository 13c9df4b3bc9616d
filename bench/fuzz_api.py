"""A longer schemathesis run over every operation of the live server, writes included, with the token.

Run: .venv/bin/python -m bench.fuzz_api [--examples 300] [--seed N] [--index DIR]
Without --index it builds the bundled corpus into a temporary index; the run writes to a copy. It prints the
cases per operation, the status codes seen, 5xx count and every failed check (zero of each expected).
tests/reliability/test_fuzz_api.py runs the same with 40 cases per operation in `make test`.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from tests.api.conftest import TOKEN, start_server, stop_server
from tests.conftest import bench_index
from tests.reliability.fuzz_api import fuzz


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=300, help="generated cases per operation")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--index", type=Path)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        index_dir = bench_index(args.index, tmp)
        proc, base = start_server(index_dir, {"ABSTRACTS_API_TOKEN": TOKEN})
        try:
            report = fuzz(base, args.examples, seed=seed)
        finally:
            stop_server(proc)
        print(f"bench/fuzz_api.py --examples {args.examples} --seed {seed}: {report.total} cases in {report.seconds:.0f} s")
        for operation, n in sorted(report.cases.items()):
            print(f"  {operation:32s} {n}")
        print(f"  status codes  : {dict(sorted(report.statuses.items()))}")
        print(f"  5xx answers   : {report.server_errors}")
        print(f"  failed checks : {len(report.failures)}")
        for failure in report.failures[:10]:
            print("  ---", failure[:2000])
        sys.exit(1 if report.failures or report.server_errors else 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()

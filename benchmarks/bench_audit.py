"""How long `ttgate audit` takes on a busy account, and how many calls it makes per resource.

An account in moto's server (over HTTP, behind the tests' fault proxy, which counts every call) with
1,000 queues, 500 functions, 300 alarms and 1,000 log groups (--scale changes all four), plus the
examples/passing dev environment with the four planted drifts of tests/audit. `ttgate audit` runs as a
subprocess, the way a workflow runs it; its findings are checked against the planted ones (exit 1 if
anything is missing or extra). With --faults, every list and read call is throttled twice and fails
once with a 503 first.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_audit.py [--scale 1.0] [--faults]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from tests.audit.account import DRIFT, PASSING, seed, seed_many  # noqa: E402
from tests.audit.fault_proxy import moto_behind_fault_proxy  # noqa: E402
from tests.audit.test_audit import PLANTED, found  # noqa: E402

from ttgate.integrations.aws_inventory import OPERATIONS  # noqa: E402


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--faults", action="store_true")
    args = parser.parse_args()
    counts = {
        name: round(n * args.scale)
        for name, n in (("queues", 1000), ("functions", 500), ("alarms", 300), ("log_groups", 1000))
    }
    with tempfile.TemporaryDirectory() as home, moto_behind_fault_proxy() as endpoint:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint.moto}/moto-api/reset", method="POST"))
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env |= {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
            "AWS_CONFIG_FILE": f"{home}/none",
            "AWS_SHARED_CREDENTIALS_FILE": f"{home}/none",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": str(REPO / "src"),
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        started = time.monotonic()
        seed_many(endpoint.moto, **counts)
        seed(endpoint.moto, drift=DRIFT)
        seeding = time.monotonic() - started
        if args.faults:
            every = [operation for operations in OPERATIONS.values() for operation in operations]
            endpoint.faults.throttle.update(dict.fromkeys(every, 2))
            endpoint.faults.unavailable.update(dict.fromkeys(every, 1))
        command = [
            sys.executable,
            "-m",
            "ttgate",
            "audit",
            "--env",
            "dev",
            "--format",
            "json",
            "--fail-on",
            "never",
            str(REPO / PASSING),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        done = subprocess.run(
            command,
            env=env | {"AWS_ENDPOINT_URL": endpoint.proxy},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        report = json.loads(done.stdout)
        resources = (
            sum(counts.values()) + 8
        )  # the environment's own: 2 queues, 2 functions, 1 mapping, 2 log groups, 1 alarm - drift
        calls = sum(endpoint.faults.calls.values())
        print(f"account: {counts}, seeded in {seeding:.0f} s; faults: {'yes' if args.faults else 'no'}")
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(f"audit: {wall:.1f} s wall, {cpu:.1f} s CPU")
        by_call = dict(sorted(endpoint.faults.calls.items()))
        print(f"calls: {calls} requests ({calls / resources:.2f} per resource): {by_call}")
        verdict = found(report) == sorted(PLANTED)
        print(f"findings: {len(report['findings'])}; the planted ones exactly: {verdict}")
        return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())

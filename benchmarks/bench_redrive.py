"""Messages per second of `ttgate dlq redrive --manual` and of the runbook's reprocessing loop, run as
written (awscli and jq: receive one, send its body, delete it), against moto's server over HTTP; and,
with --faults, the redrive fault scenarios (tests/operations/dlq/scenarios.py: ambiguous sends,
partial accepts, kill -9, two redrives at once, FIFO deduplication collisions) with their counts of
lost, duplicated and printed-as-duplicate messages.

    /path/to/venv/bin/python benchmarks/bench_redrive.py [--messages 200] [--runbook-messages 50]
    /path/to/venv/bin/python benchmarks/bench_redrive.py --faults [--messages 10000] [--scenario NAME]

Needs what the tests need (boto3, moto[server]), the `aws` CLI and `jq`; run it with the project's venv.
Starts moto's server (in this process, on a free port), fills tt-practice-dev-main-dlq, times each way
of moving the messages back to tt-practice-dev-main-queue, checks every message arrived, prints
messages/second.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from tests.operations.dlq.queues import drain, fast_moto_counts, fill, make_queues  # noqa: E402

REGION = "ap-southeast-1"

# The runbook's "Reprocessing via AWS CLI", verbatim but for the loop around it and the endpoint
# (awscli v1 ignores AWS_ENDPOINT_URL: a function adds --endpoint-url to every call).
RUNBOOK_LOOP = r"""
set -u
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
DLQ_URL=$(aws sqs get-queue-url --queue-name tt-practice-dev-main-dlq --region ap-southeast-1 \
  --query 'QueueUrl' --output text)
MAIN_QUEUE_URL=$(aws sqs get-queue-url --queue-name tt-practice-dev-main-queue --region ap-southeast-1 \
  --query 'QueueUrl' --output text)
for _ in $(seq "$COUNT"); do
  MESSAGE=$(aws sqs receive-message --queue-url $DLQ_URL --max-number-of-messages 1 --region ap-southeast-1)
  MESSAGE_BODY=$(echo $MESSAGE | jq -r '.Messages[0].Body')
  RECEIPT_HANDLE=$(echo $MESSAGE | jq -r '.Messages[0].ReceiptHandle')
  aws sqs send-message --queue-url $MAIN_QUEUE_URL --message-body "$MESSAGE_BODY" \
    --region ap-southeast-1 >/dev/null
  aws sqs delete-message --queue-url $DLQ_URL --receipt-handle "$RECEIPT_HANDLE" --region ap-southeast-1
done
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(endpoint: str, home: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.path.join(home, "none"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
        "PYTHONPATH": str(REPO / "src"),
    }


def measure(name: str, command: list[str], count: int, sqs: object, env: dict[str, str], cwd: str) -> None:
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, count)
    started = time.perf_counter()
    subprocess.run(command, env={**env, "COUNT": str(count)}, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    arrived = len(drain(sqs, source_url))
    left = len(drain(sqs, dlq_url))
    sqs.delete_queue(QueueUrl=dlq_url)  # type: ignore[attr-defined]
    sqs.delete_queue(QueueUrl=source_url)  # type: ignore[attr-defined]
    rate = count / seconds
    print(
        f"{name:<28} {count:>6} messages {seconds:8.2f} s {rate:8.1f} msg/s (arrived {arrived}, left {left})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200, help="messages ttgate moves")
    parser.add_argument("--runbook-messages", type=int, default=50, help="messages the runbook's loop moves")
    parser.add_argument("--faults", action="store_true", help="the fault scenarios instead")
    parser.add_argument("--scenario", action="append", help="only this fault scenario (repeatable)")
    parser.add_argument(
        "--fast-counts",
        action="store_true",
        help="make moto's queue counts free for standard queues too (filling 10,000 messages takes minutes "
        "otherwise); ttgate's check of what is left then sees 0",
    )
    arguments = parser.parse_args()
    if arguments.faults:
        faults(arguments.messages, arguments.scenario, arguments.fast_counts)
        return

    from types import SimpleNamespace

    import boto3
    from moto.server import ThreadedMotoServer

    # moto counts every message of a queue on each call (its cost grows with the queue, not ttgate's):
    # the counts are made free, as in the tests, so both ways are measured against the same fast server.
    fast_moto_counts(SimpleNamespace(setattr=setattr))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as home:
            env = environment(endpoint, home)
            sqs = boto3.client(
                "sqs",
                region_name=REGION,
                endpoint_url=endpoint,
                aws_access_key_id="t",
                aws_secret_access_key="t",
            )
            ttgate = [
                sys.executable,
                "-m",
                "ttgate",
                "dlq",
                "redrive",
                "tt-practice-dev-main-dlq",
                "--manual",
            ]
            measure("ttgate dlq redrive --manual", ttgate, arguments.messages, sqs, env, home)
            measure(
                "runbook loop (awscli + jq)",
                ["bash", "-c", RUNBOOK_LOOP],
                arguments.runbook_messages,
                sqs,
                env,
                home,
            )
    finally:
        server.stop()


def faults(messages: int, names: list[str] | None, fast_counts: bool = False) -> None:
    """Each scenario with ``messages`` messages: lost and silent duplicates must be 0."""
    from types import SimpleNamespace

    from tests.operations.dlq.scenarios import SCENARIOS, play

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(
        f"{'scenario':<20} {'messages':>8} {'lost':>5} {'dups':>5} {'printed':>7} {'silent':>6} "
        f"{'left':>5} {'seconds':>8}  exit codes",
        flush=True,
    )
    failed = False
    for scenario in SCENARIOS:
        if names and scenario.name not in names:
            continue
        with tempfile.TemporaryDirectory() as workdir:
            # FIFO: moto counts every message on each send and receive; ttgate's counts are not measured
            patch = SimpleNamespace(setattr=setattr) if scenario.fifo or fast_counts else None
            outcome = play(scenario, messages, Path(workdir), patch)
        failed |= bool(outcome.lost or outcome.silent_duplicates)
        print(
            f"{outcome.scenario:<20} {outcome.messages:>8} {outcome.lost:>5} {outcome.duplicates:>5} "
            f"{outcome.printed_duplicates:>7} {outcome.silent_duplicates:>6} {outcome.left_in_dlq:>5} "
            f"{outcome.seconds:>8.1f}  {outcome.exit_codes}",
            flush=True,
        )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

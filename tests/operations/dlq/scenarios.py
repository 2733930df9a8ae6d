"""Redrive fault scenarios, run for real: moto's server over HTTP behind the fault-injecting proxy
(proxy.py), ``ttgate dlq redrive --manual`` as a separate process (so a crash is a real kill -9), as
many runs as an operator would make, then every queue drained and counted.

Shared by tests/operations/dlq/test_scenarios.py (a few hundred messages each) and
benchmarks/bench_redrive.py (10,000 each). What counts:

- lost: a message neither in the destination nor in the DLQ (must be 0);
- duplicates: copies beyond the first in the destination; *printed* are those ttgate announced
  ("N duplicate(s) may have arrived"); *silent* = duplicates - printed, when positive (must be 0).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.operations.dlq.proxy import Endpoint, moto_behind_proxy
from tests.operations.dlq.queues import drain, fast_moto_counts, fill, make_queues, queue_names

REPO = Path(__file__).resolve().parents[3]
REGION = "ap-southeast-1"


@dataclass
class Outcome:
    scenario: str
    messages: int
    lost: int = 0
    duplicates: int = 0
    printed_duplicates: int = 0
    left_in_dlq: int = 0
    exit_codes: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def silent_duplicates(self) -> int:
        return max(0, self.duplicates - self.printed_duplicates)


def printed_duplicates(output: str) -> int:
    return sum(int(count) for count in re.findall(r"(\d+) duplicate\(s\) may have arrived", output))


class Runner:
    """Starts ``ttgate dlq redrive`` processes against the proxy and keeps what they printed."""

    def __init__(self, endpoint: Endpoint, workdir: Path, fifo: bool) -> None:
        self.endpoint = endpoint
        self.workdir = workdir
        self.fifo = fifo
        self.outputs: list[str] = []
        self.exit_codes: list[int] = []
        self.environment = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(workdir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": str(REPO / "src"),
        }
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            self.environment.pop(name, None)

    def start(self, *extra: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "ttgate", "dlq", "redrive", queue_names(self.fifo)[0], "--manual"]
        return subprocess.Popen(
            [*command, *extra],
            cwd=self.workdir,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def keep(self, process: subprocess.Popen[str], timeout: float = 3600) -> int:
        output, _ = process.communicate(timeout=timeout)
        self.outputs.append(output)
        self.exit_codes.append(process.returncode)
        return process.returncode

    def run(self, *extra: str) -> int:
        return self.keep(self.start(*extra))

    def until_done(self, *extra: str, runs: int = 4) -> None:
        """Run again as the operator would, until exit 0 (in-flight messages come back meanwhile)."""
        for _ in range(runs):
            if self.run(*extra) == 0:
                return
            time.sleep(max(1, (self.endpoint.faults.visibility or 1) + 1))


def ambiguous_standard(runner: Runner) -> None:
    """Every 7th SendMessageBatch is carried out by SQS and answered with a 500."""
    runner.endpoint.faults.ambiguous_every = 7
    runner.run()
    runner.endpoint.faults.ambiguous_every = 0
    runner.until_done()


def ambiguous_fifo(runner: Runner) -> None:
    """Every 7th SendMessageBatch is carried out and its connection closed without an answer."""
    runner.endpoint.faults.ambiguous_every = 7
    runner.endpoint.faults.drop_connection = True
    runner.run()
    runner.endpoint.faults.ambiguous_every = 0
    runner.until_done()


def _one_in(ten: int) -> Callable[[dict[str, Any], int], bool]:
    return lambda entry, number: zlib.crc32(f"{entry['MessageBody']}/{number}".encode()) % 100 < ten


def partial_accepts(runner: Runner) -> None:
    """A tenth of the entries of each batch are refused (another tenth of those again on retry)."""
    runner.endpoint.faults.refuse = _one_in(10)
    runner.run()
    runner.endpoint.faults.refuse = None
    runner.until_done()


def partial_fifo(runner: Runner) -> None:
    """Every 500th message is refused every time: its group stops, the rest of the group waits."""
    runner.endpoint.faults.refuse = lambda entry, _: json.loads(entry["MessageBody"])["order"] % 500 == 7
    runner.run()
    runner.endpoint.faults.refuse = None
    runner.until_done()


def crashes(runner: Runner) -> None:
    """kill -9 three times, each right after SQS carried out a send and before its answer arrived."""
    faults = runner.endpoint.faults
    faults.visibility = 3  # the killed run's messages come back after 3 s, not 120
    sends = max(3, runner_messages(runner) // 10 // 4)
    for crash in range(3):
        faults.held.clear()
        faults.release.clear()
        faults.hold_after = faults.sends + sends
        process = runner.start("--break-lock")  # the killed run's lock is still there
        if not faults.held.wait(600):
            runner.keep(process)
            break
        process.send_signal(signal.SIGKILL)
        faults.release.set()
        runner.keep(process)
        time.sleep(faults.visibility + 1)
        del crash
    faults.hold_after = 0
    runner.until_done("--break-lock")


def two_at_once(runner: Runner) -> None:
    """Two operators start a redrive of the same DLQ at the same moment."""
    first, second = runner.start(), runner.start()
    runner.keep(first)
    runner.keep(second)
    runner.until_done()


def fifo_collisions(runner: Runner) -> None:
    """The DLQ's messages were first sent 10 minutes ago, and the producer has just sent new messages
    with the same deduplication ids: a copy keeping its id would be reported sent and dropped."""
    faults = runner.endpoint.faults
    faults.age_ms = 10 * 60 * 1000
    runner.until_done()


def runner_messages(runner: Runner) -> int:
    return int(getattr(runner, "messages", 100))


@dataclass(frozen=True)
class Scenario:
    name: str
    fifo: bool
    play: Callable[[Runner], None]
    collide: bool = False


SCENARIOS = [
    Scenario("ambiguous-standard", False, ambiguous_standard),
    Scenario("ambiguous-fifo", True, ambiguous_fifo),
    Scenario("partial-accepts", False, partial_accepts),
    Scenario("partial-fifo", True, partial_fifo),
    Scenario("crashes", False, crashes),
    Scenario("two-at-once", False, two_at_once),
    Scenario("fifo-collisions", True, fifo_collisions, collide=True),
]


def play(scenario: Scenario, messages: int, workdir: Path, monkeypatch: Any = None) -> Outcome:
    """Fill the DLQ with ``messages``, play the scenario, count what arrived and what is left."""
    import boto3

    if monkeypatch is not None:
        fast_moto_counts(monkeypatch)
    workdir.mkdir(parents=True, exist_ok=True)
    outcome = Outcome(scenario.name, messages)
    with moto_behind_proxy() as endpoint:
        sqs = boto3.client(
            "sqs",
            region_name=REGION,
            endpoint_url=endpoint.moto_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        dlq_url, source_url = make_queues(sqs, fifo=scenario.fifo)
        fill(sqs, dlq_url, messages, fifo=scenario.fifo)
        if scenario.collide:
            for start in range(0, messages, 10):
                entries = [
                    {
                        "Id": str(n - start),
                        "MessageBody": f"new {n}",
                        "MessageGroupId": f"group-{n % 7}",
                        "MessageDeduplicationId": f"dedup-{n}",
                    }
                    for n in range(start, min(start + 10, messages))
                ]
                sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
        runner = Runner(endpoint, workdir, scenario.fifo)
        runner.messages = messages  # type: ignore[attr-defined]
        started = time.perf_counter()
        scenario.play(runner)
        outcome.seconds = time.perf_counter() - started
        endpoint.faults.visibility = None
        time.sleep(1)
        arrived = Counter(
            json.loads(body)["order"] for body, _, _ in drain(sqs, source_url) if not body.startswith("new ")
        )
        left = Counter(json.loads(body)["order"] for body, _, _ in drain(sqs, dlq_url))
    outcome.lost = sum(1 for number in range(messages) if number not in arrived and number not in left)
    outcome.duplicates = sum(count - 1 for count in arrived.values()) + sum(
        1 for number in left if number in arrived
    )
    outcome.printed_duplicates = sum(printed_duplicates(output) for output in runner.outputs)
    outcome.left_in_dlq = sum(left.values())
    outcome.exit_codes = runner.exit_codes
    return outcome


__all__ = ["SCENARIOS", "Outcome", "Scenario", "play"]

"""moto's server over HTTP with a fault-injecting proxy in front: what SQS and the network do on a bad
day, for the redrive tests and benchmarks/bench_redrive.py.

The proxy forwards every request to moto unchanged unless a :class:`Faults` rule says otherwise:

- ``ambiguous``: a SendMessageBatch is carried out by moto, then answered with a 500 (or the
  connection is closed without an answer): the sender cannot know the messages were accepted;
- ``refuse``: some entries of a SendMessageBatch are not forwarded and answered as Failed, the rest
  are (a partial accept);
- ``unavailable``: an action (ListMessageMoveTasks...) answers 500 without reaching moto;
- ``denied``: the Nth SendMessageBatch answers AccessDenied (a failure that is not retried);
- ``canned``: an action moto lacks (ListMessageMoveTasks) answers what the test says;
- ``age_ms``: ReceiveMessage answers carry a SentTimestamp that much older (moto cannot backdate);
- ``visibility``: ReceiveMessage asks for this visibility timeout instead (a killed run's messages
  come back sooner);
- ``hold``: after the Nth SendMessageBatch was carried out, the answer waits on an event (a test
  kills the client meanwhile: a crash between the send and the journal write).

SQS speaks JSON here (botocore's ``x-amz-json-1.0``), so requests and answers are read as JSON.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Faults:
    """What the proxy does to the requests it forwards; tests change it while a run goes on."""

    # the 1-based numbers of the SendMessageBatch calls that are carried out then answered with a 500
    ambiguous: set[int] = field(default_factory=set)
    ambiguous_every: int = 0  # every Nth SendMessageBatch, too
    drop_connection: bool = False  # an ambiguous send closes the connection instead of answering 500
    # refuse(entry, call number) -> True: that entry is answered Failed (InternalError), not forwarded
    refuse: Callable[[dict[str, Any], int], bool] | None = None
    unavailable: set[str] = field(default_factory=set)  # actions answered 500 without reaching moto
    denied: set[int] = field(default_factory=set)  # SendMessageBatch calls answered AccessDenied
    canned: dict[str, dict[str, Any]] = field(default_factory=dict)  # action -> its answer (200)
    age_ms: int = 0
    visibility: int | None = None  # ReceiveMessage's VisibilityTimeout rewritten (a crash test's wait)
    hold_after: int = 0  # the SendMessageBatch after which the answer waits for ``release``
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    sends: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, action: str) -> int:
        with self.lock:
            self.calls[action] = self.calls.get(action, 0) + 1
            if action == "SendMessageBatch":
                self.sends += 1
                return self.sends
            return self.calls[action]


def _handler(upstream: tuple[str, int], faults: Faults) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
            connection = http.client.HTTPConnection(*upstream, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length",)}
            headers["Content-Length"] = str(len(body))
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            answer = {k: v for k, v in response.getheaders() if k.lower() not in ("content-length",)}
            answer.pop("Transfer-Encoding", None)
            connection.close()
            return response.status, answer, data

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int = 500, code: str = "InternalError") -> None:
            body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": "injected fault"})
            self._answer(status, {"Content-Type": "application/x-amz-json-1.0"}, body.encode())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            target = str(self.headers.get("X-Amz-Target", ""))
            action = target.rsplit(".", 1)[-1] if target.startswith("AmazonSQS.") else ""
            if not action:
                self._answer(*self._forward(body))
                return
            number = faults.count(action)
            if action in faults.unavailable:
                self._error()
                return
            if action in faults.canned:
                body = json.dumps(faults.canned[action]).encode()
                self._answer(200, {"Content-Type": "application/x-amz-json-1.0"}, body)
                return
            if action == "SendMessageBatch":
                self._send_batch(body, number)
                return
            if action == "ReceiveMessage" and faults.visibility is not None:
                request = json.loads(body)
                request["VisibilityTimeout"] = faults.visibility
                body = json.dumps(request).encode()
            status, headers, data = self._forward(body)
            if action == "ReceiveMessage" and faults.age_ms and status == 200:
                document = json.loads(data)
                for message in document.get("Messages", []):
                    attributes = message.get("Attributes", {})
                    if "SentTimestamp" in attributes:
                        attributes["SentTimestamp"] = str(int(attributes["SentTimestamp"]) - faults.age_ms)
                data = json.dumps(document).encode()
            self._answer(status, headers, data)

        def _send_batch(self, body: bytes, number: int) -> None:
            if number in faults.denied:
                self._error(400, "AccessDenied")
                return
            request = json.loads(body)
            refused = [
                entry for entry in request["Entries"] if faults.refuse and faults.refuse(entry, number)
            ]
            forwarded = [entry for entry in request["Entries"] if entry not in refused]
            successful: list[Any] = []
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            status = 200
            if forwarded:
                status, headers, data = self._forward(json.dumps({**request, "Entries": forwarded}).encode())
                if status != 200:
                    self._answer(status, headers, data)
                    return
                document = json.loads(data)
                successful = document.get("Successful", [])
                refused_ids = {entry["Id"] for entry in refused}
                failed = [*document.get("Failed", [])]
            else:
                refused_ids = {entry["Id"] for entry in refused}
                failed = []
            failed += [
                {"Id": entry_id, "SenderFault": False, "Code": "InternalError", "Message": "injected"}
                for entry_id in sorted(refused_ids)
            ]
            if faults.hold_after and number == faults.hold_after:
                faults.held.set()
                faults.release.wait(120)
            if number in faults.ambiguous or (
                faults.ambiguous_every and number % faults.ambiguous_every == 0
            ):
                if faults.drop_connection:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._error()
                return
            self._answer(status, headers, json.dumps({"Successful": successful, "Failed": failed}).encode())

    return Proxy


@dataclass
class Endpoint:
    url: str  # the proxy's: every client talks to this
    moto_url: str  # moto's own, for checking what really arrived
    faults: Faults


@contextmanager
def moto_behind_proxy(faults: Faults | None = None) -> Iterator[Endpoint]:
    """moto's server on a free port and the fault-injecting proxy in front of it."""
    from moto.server import ThreadedMotoServer

    moto_port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port)
    server.start()
    # moto's backends live in this process: a server started earlier leaves its queues behind
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"http://127.0.0.1:{moto_port}/moto-api/reset", method="POST"), timeout=30
    ).close()
    faults = faults or Faults()
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _handler(("127.0.0.1", moto_port), faults))
    proxy.daemon_threads = True
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield Endpoint(f"http://127.0.0.1:{proxy.server_address[1]}", f"http://127.0.0.1:{moto_port}", faults)
    finally:
        faults.release.set()
        proxy.shutdown()
        proxy.server_close()
        server.stop()

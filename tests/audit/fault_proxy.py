"""moto's server over HTTP with a proxy in front that speaks every protocol the audit reads through:
SQS and CloudWatch Logs (JSON), Lambda (REST-JSON), CloudWatch (Smithy RPC v2 CBOR). The proxy forwards
each request unchanged unless a :class:`Faults` rule says otherwise, and records every operation sent.

- ``throttle``: operation -> how many of its next calls answer a throttling error (botocore retries);
- ``unavailable``: operation -> how many of its next calls answer 503 (botocore retries);
- ``denied``: services whose every call answers AccessDenied (not retried; the audit names it).

The operation of a request is read from what identifies it in its protocol (X-Amz-Target, Lambda's
path, the RPC v2 path), its service from the SigV4 credential scope.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.operations.dlq.proxy import free_port

_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")
_SIGNING_NAMES = {"monitoring": "cloudwatch"}  # CloudWatch signs as "monitoring"; IAM says "cloudwatch"
_LAMBDA = [
    (re.compile(r"^/2015-03-31/functions/?$"), "GET", "ListFunctions"),
    (re.compile(r"^/2015-03-31/event-source-mappings/?$"), "GET", "ListEventSourceMappings"),
]


@dataclass
class Faults:
    throttle: dict[str, int] = field(default_factory=dict)
    unavailable: dict[str, int] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)  # "service:Operation" -> requests seen
    lock: threading.Lock = field(default_factory=threading.Lock)


def operation_of(method: str, path: str, headers: Any) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/", 1)[-1]
    bare = path.split("?", 1)[0]
    for pattern, verb, name in _LAMBDA:
        if verb == method and pattern.match(bare):
            return name
    return f"{method} {bare}"


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    assert len(data) < 256
    return (bytes([0x60 + len(data)]) if len(data) < 24 else bytes([0x78, len(data)])) + data


def error_answer(headers: Any, path: str, code: str, message: str) -> tuple[dict[str, str], bytes]:
    """An error body in the request's protocol, so botocore reads ``code`` from it."""
    if "/operation/" in path:  # Smithy RPC v2 CBOR: a map {"__type": code, "message": message}
        body = (
            bytes([0xA2])
            + _cbor_text("__type")
            + _cbor_text(code)
            + _cbor_text("message")
            + _cbor_text(message)
        )
        return {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}, body
    body = json.dumps({"__type": code, "message": message}).encode()
    return {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}, body


def _handler(upstream: int, faults: Faults) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            scope = _SCOPE.search(self.headers.get("Authorization") or "")
            service = scope.group(1) if scope else "?"
            service = _SIGNING_NAMES.get(service, service)
            operation = operation_of(self.command, self.path, self.headers)
            name = f"{service}:{operation}"
            with faults.lock:
                faults.calls[name] += 1
                if service in faults.denied:
                    fault: tuple[int, str] | None = (403, "AccessDeniedException")
                elif faults.throttle.get(operation, 0) > 0:
                    faults.throttle[operation] -= 1
                    fault = (400, "ThrottlingException")
                elif faults.unavailable.get(operation, 0) > 0:
                    faults.unavailable[operation] -= 1
                    fault = (503, "ServiceUnavailable")
                else:
                    fault = None
            if fault is not None:
                headers, answer = error_answer(self.headers, self.path, fault[1], f"injected {fault[1]}")
                self._answer(fault[0], headers, answer)
                return
            connection = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
            forwarded = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            connection.request(self.command, self.path, body=body, headers=forwarded)
            response = connection.getresponse()
            answer = response.read()
            headers = {
                k: v
                for k, v in response.getheaders()
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")
            }
            connection.close()
            self._answer(response.status, headers, answer)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    return Proxy


@dataclass
class Endpoint:
    moto: str  # to seed the account, past the proxy
    proxy: str  # for the audit
    faults: Faults


@contextmanager
def moto_behind_fault_proxy(faults: Faults | None = None) -> Iterator[Endpoint]:
    from moto.server import ThreadedMotoServer

    moto_port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    server.start()
    faults = faults or Faults()
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _handler(moto_port, faults))
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield Endpoint(f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{proxy.server_port}", faults)
    finally:
        proxy.shutdown()
        proxy.server_close()
        server.stop()

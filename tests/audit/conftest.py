"""moto's server behind the fault proxy, with credentials that reach nothing else."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.fault_proxy import Endpoint, moto_behind_fault_proxy
from tests.operations.aws_backend import fake_credentials


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Endpoint]:
    fake_credentials(monkeypatch, tmp_path)
    with moto_behind_fault_proxy() as endpoint:
        # moto's backends live in the process, whichever server started them: start from nothing.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint.moto}/moto-api/reset", method="POST"))
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.proxy)
        yield endpoint

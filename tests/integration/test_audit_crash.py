"""SIGKILL in the middle of a load of licensed calls: after a restart the log verifies and every
response a client received has its record (issue 7, crash safety)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.demo import demo_tokens, load_demo
from api.demo_elicenses import DEMO_CONSENT, DEMO_DOCTOR, DEMO_MATTER, DEMO_PURPOSE
from api.services import build_services
from api.settings import Settings
from catalog.demo.certificates import cert_code

ROOT = Path(__file__).resolve().parents[2]
CALL = (
    "mutation($i: LicensedCallInput!) { callELicense(input: $i) { __typename "
    "... on LicensedResponse { jws auditSeq } } }"
)
CODES = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IRS_DATA_DIR": str(data), "IRS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.asgi:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not start")


@pytest.mark.slow
def test_a_sigkilled_server_loses_no_record_of_an_answered_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRS_DATA_DIR", str(tmp_path))
    services = build_services(Settings())
    load_demo(services)
    tokens = {t.role.value: t.token for t in demo_tokens(services)}
    app = services.clients.authenticate(tokens["holder_app"])
    assert app is not None
    codes = [
        services.consents.one_time_code(principal=app, consent_id=DEMO_CONSENT).code
        for _ in range(CODES)
    ]
    doctor = cert_code("医师执业证书")
    services.close()

    port = free_port()
    server = start_server(tmp_path, port)
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one(code: str) -> None:
        body = {
            "query": CALL,
            "variables": {
                "i": {"certificateType": doctor, "holder": DEMO_DOCTOR, "purpose": DEMO_PURPOSE,
                      "matterCode": DEMO_MATTER, "fields": ["姓名"], "consent": code}
            },
        }  # fmt: skip
        try:
            r = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json=body,
                headers={"Authorization": f"Bearer {tokens['integrator']}"},
                timeout=30,
            )
            answer = r.json()["data"]["callELicense"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return  # the server died under this call: no answer, nothing to account for
        if answer.get("__typename") == "LicensedResponse":
            with lock:
                received.append(answer)

    killer_done = threading.Event()

    def killer() -> None:
        while len(received) < 60 and server.poll() is None:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        killer_done.set()

    threading.Thread(target=killer, daemon=True).start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, codes))
    assert killer_done.wait(30)
    server.wait(timeout=30)
    assert server.returncode == -signal.SIGKILL
    assert 60 <= len(received) < CODES, len(received)  # killed mid-load

    restarted = start_server(tmp_path, port)  # recovers on its own
    try:
        services = build_services(Settings())
        try:
            report = services.audit.verify()
            assert report.ok, report.first_problem
            for answer in received:
                record = services.audit.record(answer["auditSeq"])
                assert record is not None
                assert record.response_digest == hashlib.sha256(answer["jws"].encode()).hexdigest()
                assert record.decision is not None
                assert record.decision.value == "ALLOW"
        finally:
            services.close()
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)

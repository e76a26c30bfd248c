"""`lerconnect demo --serve PORT` ends by serving the claim page and printing a sandbox learner's link,
which opens in a browser session (here: requests, as the landing form posts)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from connector_core.serve.runner import bound_socket

pytestmark = pytest.mark.slow


def test_demo_serve_prints_a_claim_link_that_opens_the_learners_records(tmp_path: Path) -> None:
    sock = bound_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    exe = Path(sys.executable).with_name("lerconnect")
    command = [str(exe), "demo", "--learners", "5", "--db", str(tmp_path / "demo.db"), "--serve", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
    try:
        url, deadline = None, time.monotonic() + 300
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line or process.poll() is None, "the demo ended without serving"
            found = re.search(rf"http://127\.0\.0\.1:{port}/claim/\S+", line)
            url = found.group(0) if found else None
        assert url, "no claim link printed"
        with requests.Session() as http:
            for _ in range(100):  # the server starts right after the line is printed
                try:
                    landing = http.get(url, timeout=5)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            form = dict(re.findall(r'name="(token|csrf_token)" value="([^"]*)"', landing.text))
            page = http.post(f"http://127.0.0.1:{port}/claim", data=form, timeout=30)
        assert page.status_code == 200 and page.url.endswith("/claim/records")
        assert len(re.findall(r'<li class="card">', page.text)) >= 3
        assert "Comprehensive learner record" in page.text and "dccrequest://request?" in page.text
    finally:
        process.terminate()
        process.wait(timeout=30)

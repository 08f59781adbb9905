"""The tutorial notebooks show what the library prints, never a server's request log.

Opened in Jupyter without an S3 server configured, a tutorial starts moto inside its
kernel (``notebooks/s3_setup.py``); moto serves with werkzeug, which would print one line
per request into the cells. ``s3_setup.quiet_request_log`` silences those lines at their
source and keeps werkzeug's warnings and errors.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

#: A request line of werkzeug's (moto) or ``http.server``'s log:
#: ``127.0.0.1 - - [30/Nov/2026 19:56:43] "PUT /bucket/key HTTP/1.1" 200 -``
REQUEST_LINE = re.compile(
    r"\] \"(?:GET|HEAD|PUT|POST|DELETE|OPTIONS|PATCH) \S* HTTP/\d(?:\.\d)?\" \d{3} "
    r"|^\S+ - - \[\d{2}/\w{3}/\d{4}[ :]\d{2}:\d{2}:\d{2}",
    re.M,
)


def request_lines(text: str) -> list[str]:
    """The lines of ``text`` that are a server's request log."""
    return [line for line in text.splitlines() if REQUEST_LINE.search(line)]


def output_texts(path: Path) -> list[str]:
    """Every text a notebook's stored outputs show: streams, results, tracebacks."""
    notebook = nbformat.read(path, as_version=4)
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append(output.get("text", ""))
            elif output.get("output_type") == "error":
                texts.extend(output.get("traceback", []))
            for value in (output.get("data") or {}).values():
                if isinstance(value, str):
                    texts.append(value)
    return texts


def test_the_detector_knows_a_request_line():
    logged = '127.0.0.1 - - [30/Nov/2026 19:56:43] "PUT /genro-nb02-8bc47bdf HTTP/1.1" 200 -\n'
    assert request_lines(logged) == [logged.strip()]
    assert request_lines("b'HTTP/1.1 200 OK'\nread 11 bytes from s3:tutorial/x\n") == []


def test_stored_notebook_outputs_hold_no_request_log():
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    assert len(notebooks) >= 6
    found = {
        path.name: lines
        for path in notebooks
        if (lines := [line for text in output_texts(path) for line in request_lines(text)])
    }
    assert found == {}, f"server request lines in stored outputs: {found}"


RUN_IN_KERNEL_SERVER = """
import logging, sys
import s3_setup
if sys.argv[1] == "user-set-info":  # a user who asked for werkzeug's INFO keeps it
    logging.basicConfig()
    logging.getLogger("werkzeug").setLevel(logging.INFO)
bucket = s3_setup.new_bucket("logtest")
client = s3_setup.client()
client.put_object(Bucket=bucket, Key="k", Body=b"x")
client.get_object(Bucket=bucket, Key="k")["Body"].read()
try:
    client.get_object(Bucket=bucket, Key="missing")
except client.exceptions.NoSuchKey:
    pass
client.close()
s3_setup.drop_bucket(bucket)
logging.getLogger("werkzeug").error("a werkzeug error still shows")
"""


def run_in_kernel_server(mode: str) -> subprocess.CompletedProcess[str]:
    """The S3 steps of a tutorial against the in-kernel moto (no S3 configured)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENRO_STORAGE_TEST_S3")}
    return subprocess.run(
        [sys.executable, "-c", RUN_IN_KERNEL_SERVER, mode],
        cwd=NOTEBOOKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_in_kernel_server_logs_no_requests_and_keeps_errors():
    done = run_in_kernel_server("default")
    assert done.returncode == 0, done.stderr
    assert request_lines(done.stdout + done.stderr) == []
    assert "a werkzeug error still shows" in done.stderr


def test_a_werkzeug_level_set_by_the_user_is_left_alone():
    done = run_in_kernel_server("user-set-info")
    assert done.returncode == 0, done.stderr
    assert len(request_lines(done.stderr)) >= 5  # bucket, put, get, missing get, cleanup

"""gunicorn started as production starts it (``-c outreach/gunicorn_conf.py``), for the tests that need
a real multi-process server (tests/test_production.py, tests/test_faults_postgres.py)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def server_env(**values: str) -> dict[str, str]:
    """This process's environment without any OUTREACH_/FLASK_ setting, two (single-threaded, as in
    production) workers on a free loopback port, then ``values``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OUTREACH_", "FLASK_"))}
    env.update(OUTREACH_BIND="127.0.0.1:0", OUTREACH_WORKERS="2", OUTREACH_THREADS="1")
    env.update(values)
    return env


def start(env: dict[str, str], stderr=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "outreach/gunicorn_conf.py"], cwd=PROJECT_ROOT,
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                            start_new_session=True)


def wait_until_serving(process: subprocess.Popen, error_log: Path, answers: Callable[[int], bool],
                       timeout: float = 90) -> int:
    """The port gunicorn listens on (read from its error log), once ``answers(port)`` is true."""
    deadline, port = time.monotonic() + timeout, 0
    while not port:
        match = error_log.exists() and re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", error_log.read_text())
        if match:
            port = int(match.group(1))
        else:
            assert process.poll() is None and time.monotonic() < deadline, \
                error_log.read_text() if error_log.exists() else "gunicorn did not start"
            time.sleep(0.1)
    while True:
        try:
            if answers(port):
                return port
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, error_log.read_text()[-3000:]
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole process group (a graceful stop), SIGKILL after 30 seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

#!/usr/bin/env python3
"""Load benchmark: resident traffic against the production set-up (`make serve-prod`) on loopback.

    .venv/bin/python bench/load.py [--seconds 60] [--rate 100] [--url http://127.0.0.1:8000]

Without --url it starts `make serve-prod` itself (PostgreSQL + Redis on this machine, gunicorn with
outreach/gunicorn_conf.py) on a free loopback port, and stops it at the end.

Four phases, all bounded in time, every request to 127.0.0.1:

0. **Warm-up** (open loop, --warmup-seconds at --rate, reported apart): a freshly started server has
   compiled no template and kept no page yet; these figures are what residents see right after a
   (re)start.
1. **Target** (open loop): requests are scheduled at --rate per second for --seconds, whatever the
   server's pace, and each latency is counted from the moment the request was due (so a slow server
   cannot hide its backlog). The mix: home, browse (a category), search (a word, sometimes a ZIP),
   service detail, the help form (GET; with --post-share, that share of requests POSTs a help request,
   which needs receiving organizations: `flask outreach help demo`). Prints requests/second,
   p50/p95/p99, errors; passes when there are 0 errors and p99 < 500 ms.
2. **Capacity** (closed loop): --concurrency clients send the same mix back to back for
   --capacity-seconds: the most requests/second this machine serves.
3. **Bare Flask** (closed loop, same concurrency and time): bench/bare_app.py, a page rendering a
   template as large as our home page, served by the same gunicorn configuration. Prints its
   requests/second and our capacity's ratio to it (target >= 0.6).

The load generator is the standard library only (threads and http.client, keep-alive connections),
to leave the two cores to the server. A script, not a test: it prints figures.
"""
from __future__ import annotations

import argparse
import http.client
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
LOCALES = ("en", "en", "en", "es", "ar")  # most visits in English, some in Spanish and Arabic
WORDS = ["naloxone", "support group", "detox", "counseling", "meetings", "fentanyl test strips", "youth",
         "family", "treatment", "recovery", "harm reduction", "church", "crisis", "housing", "methadone",
         "naloxona", "apoyo", "tratamiento"]
ZIPS = ["97205", "97214", "97230", "97030"]
MIX = (("home", 15), ("browse", 25), ("search", 30), ("detail", 25), ("help", 5))


# -- the server(s) ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, path: str, process: subprocess.Popen | None, timeout: float, log: Path | None) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:] if log else ''}")
        try:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url}{path} did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# -- what to ask for -------------------------------------------------------------------------------


@dataclass
class Site:
    categories: list[str]
    paged: list[str]  # categories with a second page of results
    services: list[str]
    home_bytes: int


def discover(url: str) -> Site:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def get(path: str) -> str:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: is the site set up?")
        return body

    home = get("/en/")
    categories = sorted(set(re.findall(r'href="/en/categories/([^"/?#]+)"', home)))
    services: set[str] = set()
    for word in ("naloxone", "support", "treatment", "counseling", "recovery", "youth"):
        services |= set(re.findall(r'href="/en/services/([0-9a-f-]{36})"', get(f"/en/search?{urlencode({'q': word})}")))
    paged = []
    for code in categories:
        page = get(f"/en/categories/{code}")
        services |= set(re.findall(r'href="/en/services/([0-9a-f-]{36})"', page))
        if "page=2" in page:
            paged.append(code)
    connection.close()
    if not categories or not services:
        raise SystemExit("found no categories or services on the site")
    return Site(categories, paged, sorted(services), len(home.encode("utf-8")))


def next_request(rng: random.Random, site: Site, post_share: float) -> tuple[str, str, str]:
    """(kind, method, path) of the next request in the mix."""
    if post_share and rng.random() < post_share:
        return "help-post", "POST", "/en/help/ask"
    kind = rng.choices([name for name, _ in MIX], weights=[weight for _, weight in MIX])[0]
    lang = rng.choice(LOCALES)
    if kind == "home":
        return kind, "GET", f"/{lang}/"
    if kind == "browse":
        if site.paged and rng.random() < 0.1:
            return kind, "GET", f"/{lang}/categories/{rng.choice(site.paged)}?page=2"
        return kind, "GET", f"/{lang}/categories/{rng.choice(site.categories)}"
    if kind == "search":
        params = {"q": rng.choice(WORDS)}
        if rng.random() < 0.25:
            params["near"] = rng.choice(ZIPS)
        return kind, "GET", f"/{lang}/search?{urlencode(params)}"
    if kind == "detail":
        return kind, "GET", f"/{lang}/services/{rng.choice(site.services)}"
    return kind, "GET", f"/{lang}/help/ask"


# -- the load --------------------------------------------------------------------------------------


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.done += 1
            self.latencies[kind].append(seconds)
            if error:
                self.errors[f"{kind}: {error}"] += 1

    def every_latency(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


class Client:
    """One keep-alive connection; reconnects after an error. Help POSTs carry a fresh CSRF token."""

    CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return self.connection

    def _send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, str]:
        connection = self._connection()
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, content, response.getheader("Set-Cookie", "")

    def fetch(self, method: str, path: str) -> str | None:
        """None when the answer was right, else a short description of what went wrong."""
        try:
            if method == "POST":
                status, body, cookie = self._send("GET", path)
                token = self.CSRF.search(body.decode("utf-8", "replace"))
                if status != 200 or not token:
                    return f"form {status}"
                form = urlencode({"csrf_token": token.group(1), "language": "en", "contact_method": "receipt",
                                  "categories": "harm-reduction", "area": "97205",
                                  "message": "Load-test request: I need naloxone."}).encode("ascii")
                status, body, _ = self._send("POST", path, form, {
                    "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie.split(";", 1)[0]})
            else:
                status, body, _ = self._send("GET", path)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return type(error).__name__
        return None if status == 200 else str(status)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def open_loop(url: str, site: Site, rate: float, seconds: float, concurrency: int, post_share: float,
              seed: int = 1, max_wait: float = 10.0) -> tuple[Results, float]:
    """Requests due at a fixed rate; latency counted from when each was due. A request still waiting
    ``max_wait`` seconds after it was due counts as an error unsent, so an overloaded server ends the
    phase in bounded time."""
    rng = random.Random(seed)
    due: queue.Queue = queue.Queue()
    results = Results()

    def work() -> None:
        client = Client(url)
        while True:
            item = due.get()
            if item is None:
                break
            scheduled, kind, method, path = item
            if time.perf_counter() - scheduled > max_wait:  # hopelessly behind: count it, do not send it
                results.record(kind, time.perf_counter() - scheduled, f"not sent, {max_wait:.0f} s behind")
                continue
            error = client.fetch(method, path)
            results.record(kind, time.perf_counter() - scheduled, error)
        client.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    total = int(rate * seconds)
    for number in range(total):
        scheduled = started + number / rate
        pause = scheduled - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        due.put((scheduled, *next_request(rng, site, post_share)))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join(timeout=60)
    return results, time.perf_counter() - started


def closed_loop(url: str, seconds: float, concurrency: int, pick) -> tuple[Results, float]:
    """``concurrency`` clients, each sending its next request as soon as the last one is answered."""
    results = Results()
    deadline = time.perf_counter() + seconds

    def work(number: int) -> None:
        client, rng = Client(url), random.Random(number)
        while time.perf_counter() < deadline:
            kind, method, path = pick(rng)
            began = time.perf_counter()
            error = client.fetch(method, path)
            results.record(kind, time.perf_counter() - began, error)
        client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(number,), daemon=True) for number in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return results, time.perf_counter() - started


# -- figures ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(title: str, results: Results, elapsed: float) -> dict:
    every = results.every_latency()
    figures = {
        "requests": results.done, "seconds": elapsed, "rps": results.done / elapsed if elapsed else 0.0,
        "p50": percentile(every, 0.50) * 1000, "p95": percentile(every, 0.95) * 1000,
        "p99": percentile(every, 0.99) * 1000, "errors": sum(results.errors.values()),
    }
    print(f"\n== {title}")
    print(f"   {figures['requests']} requests in {elapsed:.1f} s = {figures['rps']:.1f} requests/second; "
          f"errors: {figures['errors']}")
    print(f"   latency p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms")
    for kind in sorted(results.latencies):
        values = results.latencies[kind]
        print(f"     {kind:<10} {len(values):>6}  p50 {percentile(values, .5) * 1000:6.0f} ms  "
              f"p95 {percentile(values, .95) * 1000:6.0f} ms  p99 {percentile(values, .99) * 1000:6.0f} ms")
    for error, count in results.errors.most_common(8):
        print(f"     error {error} x{count}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an Outreach already serving (else `make serve-prod` is started)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the target phase")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second in the target phase")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (both phases)")
    parser.add_argument("--capacity-seconds", type=float, default=20.0, help="length of each closed-loop phase")
    parser.add_argument("--post-share", type=float, default=0.0,
                        help="share of help-form POSTs (needs receivers, and a raised OUTREACH_HELP_SUBMIT_LIMIT)")
    parser.add_argument("--warmup-seconds", type=float, default=30.0,
                        help="open-loop phase at --rate right after start, reported apart (0: none)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Flask comparison")
    arguments = parser.parse_args()

    logs = PROJECT_ROOT / "instance-prod"
    logs.mkdir(exist_ok=True)
    started: list[subprocess.Popen] = []
    try:
        url = arguments.url
        if not url:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = {**os.environ, "OUTREACH_BIND": f"127.0.0.1:{port}", "OUTREACH_ACCESS_LOG": str(logs / "bench-access.log")}
            if arguments.post_share:
                env.setdefault("OUTREACH_HELP_SUBMIT_LIMIT", "1000000 per hour")
            log = logs / "bench-server.log"
            print(f"Starting `make serve-prod` on {url} (log: {log}) ...", flush=True)
            started.append(start(["make", "--no-print-directory", "serve-prod"], env, log))
            wait_for(url, "/healthz", started[-1], 600, log)
        site = discover(url)
        print(f"Site: {len(site.categories)} categories, {len(site.services)} services found; "
              f"home page {site.home_bytes} bytes", flush=True)

        # Warm every worker (templates compiled, search readers open, pages kept) at the target rate first;
        # its figures are printed too: what residents see in the first seconds after a (re)start.
        if arguments.warmup_seconds > 0:
            results, elapsed = open_loop(url, site, arguments.rate, arguments.warmup_seconds, arguments.concurrency,
                                         0.0, seed=2)
            report(f"Warm-up after start: {arguments.rate:.0f} requests/second for {arguments.warmup_seconds:.0f} s "
                   "(open loop, not part of the target)", results, elapsed)

        results, elapsed = open_loop(url, site, arguments.rate, arguments.seconds, arguments.concurrency,
                                     arguments.post_share)
        target = report(f"Target: {arguments.rate:.0f} requests/second for {arguments.seconds:.0f} s (open loop)",
                        results, elapsed)
        met = target["errors"] == 0 and target["p99"] < 500 and target["rps"] >= arguments.rate * 0.98
        print(f"   target (0 errors, p99 < 500 ms, {arguments.rate:.0f}/s sustained): {'MET' if met else 'MISSED'}")

        results, elapsed = closed_loop(url, arguments.capacity_seconds, arguments.concurrency,
                                       lambda rng: next_request(rng, site, arguments.post_share))
        ours = report(f"Capacity: {arguments.concurrency} clients back to back for "
                      f"{arguments.capacity_seconds:.0f} s (closed loop)", results, elapsed)

        if not arguments.no_bare:
            port = free_port()
            bare_url = f"http://127.0.0.1:{port}"
            env = {**os.environ, "OUTREACH_BIND": f"127.0.0.1:{port}", "BARE_PAGE_BYTES": str(site.home_bytes),
                   "OUTREACH_ACCESS_LOG": str(logs / "bench-bare-access.log")}
            if arguments.url is None:
                stop(started.pop())  # the two servers never share the cores
            bare_log = logs / "bench-bare.log"
            started.append(start([str(VENV_BIN / "gunicorn"), "-c", "outreach/gunicorn_conf.py",
                                  "--pythonpath", "bench", "bare_app:app"], env, bare_log))
            wait_for(bare_url, "/", started[-1], 60, bare_log)
            closed_loop(bare_url, 3, arguments.concurrency, lambda rng: ("bare", "GET", "/"))
            results, elapsed = closed_loop(bare_url, arguments.capacity_seconds, arguments.concurrency,
                                           lambda rng: ("bare", "GET", "/"))
            bare = report(f"Bare Flask page of {site.home_bytes} bytes, same gunicorn configuration (closed loop)",
                          results, elapsed)
            ratio = ours["rps"] / bare["rps"] if bare["rps"] else float("nan")
            print(f"\nOur capacity / bare Flask: {ours['rps']:.1f} / {bare['rps']:.1f} = {ratio:.2f} "
                  f"(target >= 0.6: {'MET' if ratio >= 0.6 else 'MISSED'})")
        return 0
    finally:
        for process in reversed(started):
            stop(process)


if __name__ == "__main__":
    sys.exit(main())

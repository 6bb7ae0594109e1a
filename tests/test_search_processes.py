"""Index sync across REAL processes (issue 3, item 8; issue 7, item 5).

``tests/test_search.py`` proves the outbox sync inside one process. Here every actor is its own
operating-system process, as in production:

* the site is served by ``gunicorn -w 2`` (two workers, each with its own long-lived searcher over
  the one index folder), on a free loopback port;
* listings are edited by separate ``python -c`` processes ("editors") that build the app with
  ``create_app()`` and change services through the ORM, so the outbox rows are written by the real
  session hooks in the editors' own transactions;
* a writer is SIGKILLed while it holds the sync lock, and the index folder is deleted under a
  running server.

The instance folder is prepared with the CLI (``flask db upgrade``, ``flask outreach content load``)
once per module and copied for each test. With ``OUTREACH_TEST_DATABASE_URL`` set (``make
test-postgres``) every test runs against that PostgreSQL database instead of SQLite files.
Every wait is bounded; everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import http.client
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("OUTREACH_TEST_DATABASE_URL", "")
TEST_SEARCH_BACKEND = os.environ.get("OUTREACH_TEST_SEARCH_BACKEND", "whoosh")
SECRET_KEY = "test-secret-key-for-process-tests"
SERVICE_LINK = re.compile(r'href="/en/services/([0-9a-f-]{36})"')
REBUILDING_NOTICE = "Search is being rebuilt right now"

pytestmark = pytest.mark.db


# -- processes -------------------------------------------------------------------------------------


def environment(folder: Path, database_url: str) -> dict[str, str]:
    """The environment of every process serving or editing the instance in ``folder``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OUTREACH_", "FLASK_"))}
    env.update(
        OUTREACH_INSTANCE_PATH=str(folder),
        OUTREACH_SECRET_KEY=SECRET_KEY,
        OUTREACH_DATABASE_URL=database_url,
        OUTREACH_SEARCH_INDEX_DIR=str(folder / "index"),
        OUTREACH_SEARCH_BACKEND=TEST_SEARCH_BACKEND,
        PYTHONUNBUFFERED="1",
    )
    return env


def flask_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "outreach", *args],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )


def search_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return flask_cli(env, "outreach", "search", "check", timeout=60)


def stop(process: subprocess.Popen) -> None:
    """End a process this module started, within bounded waits."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# An editor: a separate process with the app and a database session of its own, taking one JSON
# command per line on stdin and answering one "@@{json}" line on stdout.
EDITOR = r'''
import json, os, sys, time
import sqlalchemy as sa
from outreach import create_app
from outreach.directory.models import Service
from outreach.extensions import db
from outreach.search import backend, indexing, outbox
from outreach.search.backend import SearchQuery
from outreach.search.documents import SEARCHABLE_STATUSES

def answer(value):
    sys.stdout.write("@@" + json.dumps(value) + "\n")
    sys.stdout.flush()

def hang():
    """Tell the test where we are, then wait for its SIGKILL while holding the locks."""
    answer({"hung": os.getpid()})
    time.sleep(120)
    os._exit(3)

def rename(items, together=False):
    for service_id, name in items:
        db.session.get(Service, service_id).name = name
        if not together:
            db.session.commit()
            time.sleep(0.01)  # let the other editor and the workers interleave
    db.session.commit()

app = create_app()
with app.app_context():
    engine = backend()
    answer({"ready": os.getpid()})
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op == "ids":
            ids = db.session.scalars(sa.select(Service.id).where(Service.status.in_(SEARCHABLE_STATUSES)).order_by(Service.id))
            answer({"ids": list(ids)})
        elif op == "rename":
            rename(command["items"], command.get("together", False))
            answer({"done": len(command["items"]), "at": time.time()})
        elif op == "state":  # what this machine's index holds, read without syncing it first
            answer({
                "position": outbox.Position.read(engine.state_dir).last_id,
                "latest": outbox.latest_outbox_id(),
                "documents": engine.doc_count(),
                "services": db.session.scalar(sa.select(sa.func.count(Service.id)).where(Service.status.in_(SEARCHABLE_STATUSES))),
                "clean": indexing.check_index().is_clean,
            })
        elif op == "find":  # the index alone, without syncing it first
            answer({"ids": engine.search(SearchQuery(text=command["text"], locale="en", all_hits=True)).service_ids})
        elif op == "crash":
            rename(command["items"], together=True)  # one transaction, many outbox rows
            if command["at"] == "during the index write":
                write, after = engine.index, command["after"]
                def hanging(documents):
                    for number, document in enumerate(documents):
                        if number == after:
                            hang()
                        yield document
                engine.index = lambda documents, removed_ids=(), **options: write(hanging(documents), removed_ids, **options)
            else:  # the index committed, the position not yet recorded
                outbox.Position.write = lambda self, folder: hang()
            indexing.sync(timeout=10)
            answer({"finished": True})
        db.session.rollback()  # end the read transaction: the next command sees other processes' commits
sys.stdout.flush()
os._exit(0)  # stdin closed: the test is done with us (skips a slow interpreter teardown)
'''


class Editor:
    """A separate process editing listings through the ORM, as a staff member's worker would."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        self._stderr = open(log, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-c", EDITOR], env=env, cwd=PROJECT_ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self._answers: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._pid: int | None = None  # known once it answered "ready" (processes start in parallel)

    @property
    def pid(self) -> int:
        if self._pid is None:
            self._pid = self.receive(timeout=90)["ready"]
        return self._pid

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("@@"):
                self._answers.put(json.loads(line[2:]))
        self._answers.put(None)

    def send(self, op: str, **arguments) -> None:
        assert self.pid
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()

    def receive(self, timeout: float = 60) -> dict:
        try:
            answer = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"editor {self.process.pid} did not answer within {timeout} s:\n{self.log.read_text()[-3000:]}") from None
        if answer is None:
            self.process.wait(timeout=10)
            raise AssertionError(f"editor exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
        return answer

    def call(self, op: str, timeout: float = 60, **arguments) -> dict:
        self.send(op, **arguments)
        return self.receive(timeout)

    def close_input(self) -> None:
        if not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass

    def close(self) -> None:
        self.close_input()  # the editor exits when its input ends
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        stop(self.process)
        self._reader.join(timeout=10)
        self.process.stdout.close()
        self._stderr.close()


@dataclass
class Server:
    """``gunicorn -w 2`` serving one instance folder on a free loopback port."""

    process: subprocess.Popen
    log: Path
    access_log: Path
    port: int = 0
    _probe: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, path: str, **params) -> tuple[int, str, int]:
        """(status, body, probe number): the probe finds the answering worker in the access log."""
        with self._lock:
            self._probe += 1
            probe = self._probe
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", f"{path}?{urlencode({**params, 'probe': probe})}")
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace"), probe
        finally:
            connection.close()

    def search(self, text: str) -> tuple[int, str, int]:
        return self.get("/en/search", q=text)

    def workers_of(self, probes: set[int], timeout: float = 5) -> dict[int, int]:
        """probe number -> worker pid, from the access log (a worker logs just after answering)."""
        deadline = time.monotonic() + timeout
        while True:
            found = {}
            for line in self.access_log.read_text().splitlines():
                match = re.match(r"<(\d+)> \d+ .*\bprobe=(\d+)", line)
                if match and int(match.group(2)) in probes:
                    found[int(match.group(2))] = int(match.group(1))
            if set(found) >= probes or time.monotonic() > deadline:
                assert set(found) >= probes, f"probes missing from the access log: {sorted(probes - set(found))}"
                return found
            time.sleep(0.05)

    def problems(self) -> list[str]:
        text = self.log.read_text()
        return [line for line in text.splitlines() if re.search(r"Traceback|WORKER TIMEOUT|Worker .* (exited|was sent)|Error", line)]

    def boots(self) -> int:
        return len(re.findall(r"Booting worker with pid", self.log.read_text()))


def launch_server(env: dict[str, str], folder: Path) -> Server:
    """Start gunicorn; :func:`wait_until_serving` waits for it (so other processes can start meanwhile)."""
    from gunicorn.config import KNOWN_SETTINGS

    log, access_log = folder / "gunicorn.log", folder / "access.log"
    log.touch()
    access_log.touch()
    command = [
        sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0",
        "--timeout", "60", "--graceful-timeout", "5",
        "--error-logfile", str(log), "--access-logfile", str(access_log),
        "--access-logformat", "%(p)s %(s)s %(q)s",
    ]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        command.append("--no-control-socket")  # newer gunicorn: no socket shared by every instance under ~/.gunicorn
    command.append("outreach:create_app()")
    # Python's fault handler writes a crashed worker's stack to stderr.log (kept for diagnosis).
    with open(folder / "stderr.log", "w") as stderr:
        process = subprocess.Popen(command, env={**env, "PYTHONFAULTHANDLER": "1"}, cwd=PROJECT_ROOT,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True)
    return Server(process, log, access_log)


def wait_until_serving(server: Server, timeout: float = 90) -> None:
    """Until gunicorn listens (port 0: the kernel picks a free one) and both workers booted and answer."""
    deadline = time.monotonic() + timeout
    while not server.port:
        match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", server.log.read_text())
        if match:
            server.port = int(match.group(1))
        elif server.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"gunicorn did not start:\n{server.log.read_text()[-3000:]}")
        else:
            time.sleep(0.05)
    status = 0
    while not (status == 200 and server.boots() >= 2):
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"gunicorn did not answer (last status {status}):\n{server.log.read_text()[-3000:]}")
        time.sleep(0.1)
        try:
            status = server.get("/en/")[0]
        except OSError:
            status = 0


# -- fixtures --------------------------------------------------------------------------------------


@dataclass
class Prepared:
    database_url: str  # "" for a SQLite file in each instance folder
    template: Path | None  # SQLite: a migrated, loaded and indexed instance folder to copy


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Prepared:
    """Migrate (and for SQLite load and index) once per module, with the CLI as an operator would."""
    folder = tmp_path_factory.mktemp("processes-template")
    if TEST_DATABASE_URL:
        engine = sa.create_engine(TEST_DATABASE_URL)
        try:
            with engine.begin() as connection:  # as tests/conftest.py does: the next upgrade starts from nothing
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        env = environment(folder, TEST_DATABASE_URL)
        done = flask_cli(env, "db", "upgrade")
        assert done.returncode == 0, done.stderr
        return Prepared(TEST_DATABASE_URL, None)
    env = environment(folder, f"sqlite:///{folder / 'outreach.sqlite3'}")
    for args in (("db", "upgrade"), ("outreach", "content", "load")):
        done = flask_cli(env, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / "index").is_dir()
    return Prepared("", folder)


@dataclass
class Instance:
    folder: Path
    env: dict[str, str]

    @property
    def index_dir(self) -> Path:
        return self.folder / "index"


@pytest.fixture
def make_instance(prepared, tmp_path):
    """``make_instance("a")``: an instance folder with the seed content and its own index;
    ``make_instance("b", share=a)``: another folder (another machine) on ``a``'s database, no index yet."""

    def make(name: str, share: Instance | None = None) -> Instance:
        folder = tmp_path / name
        if share is not None:
            folder.mkdir()
            return Instance(folder, environment(folder, share.env["OUTREACH_DATABASE_URL"]))
        if prepared.template is not None:
            shutil.copytree(prepared.template, folder)
            return Instance(folder, environment(folder, f"sqlite:///{folder / 'outreach.sqlite3'}"))
        folder.mkdir()
        instance = Instance(folder, environment(folder, prepared.database_url))
        done = flask_cli(instance.env, "outreach", "content", "load")  # resets the listings, builds this index
        assert done.returncode == 0, done.stdout + done.stderr
        return instance

    return make


@pytest.fixture
def processes():
    """Start servers and editors through this (all at once, then :meth:`ready`); stopped at teardown."""

    class Started:
        def __init__(self):
            self.servers: list[Server] = []
            self.editors: list[Editor] = []

        def server(self, instance: Instance) -> Server:
            server = launch_server(instance.env, instance.folder)
            self.servers.append(server)
            return server

        def editor(self, instance: Instance, name: str = "editor") -> Editor:
            editor = Editor(instance.env, instance.folder / f"{name}-{len(self.editors)}.log")
            self.editors.append(editor)
            return editor

        def ready(self) -> None:
            for server in self.servers:
                wait_until_serving(server)
            for editor in self.editors:
                assert editor.pid

    started = Started()
    yield started
    for editor in started.editors:
        editor.close_input()
    for server in started.servers:
        if server.process.poll() is None:
            # Killed, master and workers at once: nothing is left to save, and a clean shutdown
            # takes seconds of interpreter teardown per worker.
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    for editor in started.editors:
        editor.close()


# -- helpers ---------------------------------------------------------------------------------------


def found_ids(body: str) -> set[str]:
    return set(SERVICE_LINK.findall(body))


class Hammer:
    """Searches from several threads until stopped; records every status (none may be a 500)."""

    def __init__(self, server: Server, queries: list[str], threads: int = 3):
        self.server, self.queries = server, queries
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.notices = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, number: int) -> None:
        turn = number
        while not self._stop.is_set():
            try:
                status, body, _probe = self.server.search(self.queries[turn % len(self.queries)])
                self.statuses.append(status)
                self.notices += REBUILDING_NOTICE in body
            except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
                self.failures.append(repr(error))
            turn += 1

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=40)


def converge(server: Server, expected: dict[str, set[str]], timeout: float = 10.0) -> float:
    """Search until BOTH workers answered every query with exactly the expected listings.

    Requests go out several at a time so both workers answer; a worker that once answered right
    must keep answering right (its searcher never goes back). Returns the seconds it took.
    """
    started = time.monotonic()
    good: dict[tuple[int, str], bool] = {}
    pids: set[int] = set()
    history: list[tuple[str, int, set[str]]] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        while True:
            asked = [text for _ in range(3) for text in expected]
            answers = list(pool.map(server.search, asked))
            assert all(status == 200 for status, _body, _probe in answers), [a[0] for a in answers]
            workers = server.workers_of({probe for _s, _b, probe in answers})
            for text, (_status, body, probe) in zip(asked, answers):
                pid, ids = workers[probe], found_ids(body)
                pids.add(pid)
                history.append((text, pid, ids))
                if good.get((pid, text)):
                    assert ids == expected[text], f"worker {pid} went back for {text!r}: {sorted(ids ^ expected[text])}"
                good[(pid, text)] = good.get((pid, text), False) or ids == expected[text]
            done = [pid for pid in pids if all(good.get((pid, text)) for text in expected)]
            if len(done) >= 2:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                last = {(text, pid): sorted(expected[text] - ids) for text, pid, ids in history[-12:]}
                raise AssertionError(f"workers {sorted(pids)} did not converge in {timeout} s; "
                                     f"converged: {done}; missing per (query, worker): {last}\n"
                                     f"{server.log.read_text()[-3000:]}")
            time.sleep(0.05)


def assert_clean(instance: Instance, editor: Editor, *, cli: bool = True) -> None:
    """``flask outreach search check`` exits 0, and the index holds each listing once, fully synced."""
    if cli:
        done = search_check(instance.env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "missing: 0  stale: 0  extra: 0" in done.stdout
    state = editor.call("state")
    assert state["clean"]
    assert state["documents"] == state["services"], state  # no document twice, none missing
    assert state["position"] == state["latest"], state  # every outbox row applied


def assert_healthy(server: Server) -> None:
    assert server.boots() == 2, f"a worker died and was replaced:\n{server.log.read_text()[-3000:]}"
    assert not server.problems(), "\n".join(server.problems())


# -- tests -----------------------------------------------------------------------------------------


def test_two_edit_streams_at_once_lose_no_edit(make_instance, processes):
    """Two processes commit renames at the same time while both workers search (and so sync)."""
    instance = make_instance("site")
    server = processes.server(instance)
    one, two = processes.editor(instance), processes.editor(instance)
    processes.ready()
    ids = one.call("ids")["ids"]
    assert len(ids) >= 30
    streams = {
        "zorblat": [[service_id, f"Zorblat outreach {n}"] for n, service_id in enumerate(ids[0:12])],
        "quimbex": [[service_id, f"Quimbex clinic {n}"] for n, service_id in enumerate(ids[12:24])],
    }
    with Hammer(server, ["zorblat", "quimbex", "naloxone"]) as hammer:
        one.send("rename", items=streams["zorblat"])
        two.send("rename", items=streams["quimbex"])
        assert one.receive()["done"] == 12
        assert two.receive()["done"] == 12
    assert not hammer.failures and hammer.statuses and set(hammer.statuses) == {200}, (hammer.failures, set(hammer.statuses))

    expected = {text: {service_id for service_id, _name in items} for text, items in streams.items()}
    converge(server, expected, timeout=10)
    assert_clean(instance, one)
    assert_healthy(server)


def test_a_writer_killed_mid_write_loses_nothing(make_instance, processes):
    """SIGKILL a process holding the sync lock: the next search through gunicorn replays the outbox.

    Killed twice: while writing the index (half a batch in an uncommitted writer), and right after
    the index committed but before the position was recorded.
    """
    instance = make_instance("site")
    server = processes.server(instance)
    editor = processes.editor(instance)
    writers = {crash: processes.editor(instance, "writer") for crash in ("during the index write", "after the index write")}
    processes.ready()
    ids = editor.call("ids")["ids"]
    converge(server, {"naloxone": found_ids(server.search("naloxone")[1])})  # both workers hold a searcher

    for number, (crash, writer) in enumerate(writers.items()):
        before = editor.call("state")
        assert before["position"] == before["latest"] and before["clean"], before
        word = ("kestrelmoor", "vantablue")[number]
        batch = [[service_id, f"{word.title()} service {n}"] for n, service_id in enumerate(ids[number * 18 : number * 18 + 18])]
        writer.send("crash", items=batch, at=crash, after=6)
        assert "hung" in writer.receive(timeout=60), "the writer finished instead of stopping mid-way"
        os.kill(writer.pid, signal.SIGKILL)
        writer.process.wait(timeout=10)
        assert writer.process.returncode == -signal.SIGKILL

        after = editor.call("state")
        assert after["position"] == before["position"], (crash, after)  # the position was not advanced
        assert after["latest"] >= before["latest"] + len(batch), (crash, after)  # the rows are there
        in_index = set(editor.call("find", text=word)["ids"])
        expected = {service_id for service_id, _name in batch}
        if crash == "during the index write":
            assert in_index == set()  # nothing of the half-written batch is visible
        else:
            assert in_index == expected  # written, but not recorded

        # The next searches through gunicorn apply the rows again; 18 results span pages 1 and 2.
        deadline = time.monotonic() + 10
        while True:
            status, first, _ = server.search(word)
            second_status, second, _ = server.get("/en/search", q=word, page=2)
            assert status == second_status == 200
            if found_ids(first) | found_ids(second) == expected:
                break
            missing = sorted(expected - found_ids(first) - found_ids(second))
            assert time.monotonic() < deadline, f"{crash}: the outbox did not replay, missing {missing}"
            time.sleep(0.1)
        assert_clean(instance, editor, cli=False)
    assert_clean(instance, editor)  # the command too, once both crashes were replayed
    assert_healthy(server)


def test_a_deleted_index_is_rebuilt_while_gunicorn_runs(make_instance, processes):
    instance = make_instance("site")
    server = processes.server(instance)
    editor = processes.editor(instance)
    processes.ready()
    naloxone = found_ids(server.search("naloxone")[1])
    assert naloxone
    converge(server, {"naloxone": naloxone})  # both workers hold a searcher over the old folder

    shutil.rmtree(instance.index_dir)
    assert not instance.index_dir.exists()
    with Hammer(server, ["naloxone", "detox", "meetings"], threads=4) as hammer:
        time.sleep(1.5)  # both workers race to notice and rebuild while residents keep searching
    assert not hammer.failures, hammer.failures
    assert hammer.statuses and set(hammer.statuses) == {200}, sorted(set(hammer.statuses))  # never a 500
    assert server.get("/healthz")[0] == 200  # the load balancer keeps the machine meanwhile

    converge(server, {"naloxone": naloxone}, timeout=15)  # real results again, from both workers
    for status, body, _probe in [server.search("naloxone") for _ in range(4)]:
        assert status == 200 and REBUILDING_NOTICE not in body
    assert instance.index_dir.is_dir()
    assert_clean(instance, editor, cli=False)

    # Deleted again, an edit made, and the index rebuilt by the operator's command while no
    # resident searched: the workers' searchers over the deleted folder must not outlive it.
    ids = editor.call("ids")["ids"]
    shutil.rmtree(instance.index_dir)
    editor.call("rename", items=[[ids[0], "Ombrelune outreach"]])
    done = flask_cli(instance.env, "outreach", "search", "reindex")
    assert done.returncode == 0, done.stdout + done.stderr
    converge(server, {"ombrelune": {ids[0]}})
    assert_clean(instance, editor)
    assert_healthy(server)


def test_two_machines_with_their_own_indexes_share_one_database(make_instance, processes):
    """Two instance folders (two machines), one database: an edit on one is found on the other in 2 s."""
    first = make_instance("machine-a")
    second = make_instance("machine-b", share=first)
    assert first.env["OUTREACH_DATABASE_URL"] == second.env["OUTREACH_DATABASE_URL"]
    assert first.env["OUTREACH_SEARCH_INDEX_DIR"] != second.env["OUTREACH_SEARCH_INDEX_DIR"]
    assert not second.index_dir.exists()  # a new machine: its first search builds its index

    server_a, server_b = processes.server(first), processes.server(second)
    editor_a, editor_b = processes.editor(first, "editor-a"), processes.editor(second, "editor-b")
    processes.ready()
    ids = editor_a.call("ids")["ids"]
    naloxone = found_ids(server_a.search("naloxone")[1])
    converge(server_b, {"naloxone": naloxone}, timeout=20)
    assert second.index_dir.is_dir()

    def found_within(server: Server, text: str, wanted: set[str], committed_at: float, limit: float) -> float:
        while True:
            status, body, _ = server.search(text)
            assert status == 200
            elapsed = time.time() - committed_at
            if found_ids(body) == wanted:
                return elapsed
            assert elapsed < limit, f"{text!r} not found on the other machine {elapsed:.2f} s after the commit"
            time.sleep(0.05)

    edit = editor_a.call("rename", items=[[ids[0], "Fenwickle outreach"]])  # through machine A
    assert found_within(server_b, "fenwickle", {ids[0]}, edit["at"], 2.0) <= 2.0
    edit = editor_b.call("rename", items=[[ids[1], "Brisolde clinic"]])  # and through machine B
    assert found_within(server_a, "brisolde", {ids[1]}, edit["at"], 2.0) <= 2.0

    expected = {"fenwickle": {ids[0]}, "brisolde": {ids[1]}}
    converge(server_a, expected)
    converge(server_b, expected)
    with ThreadPoolExecutor(max_workers=2) as pool:  # both machines' `search check` at once
        list(pool.map(assert_clean, (first, second), (editor_a, editor_b)))
    for server in (server_a, server_b):
        assert_healthy(server)


# Redis joins when OUTREACH_TEST_REDIS_URL is set (`make test-postgres`, with PostgreSQL): collected
# then, never skipped. Two machines on one database AND one Redis, as in production.
TEST_REDIS_URL = os.environ.get("OUTREACH_TEST_REDIS_URL", "")

if TEST_REDIS_URL:

    def _post_form(server: Server, path: str, fields: dict[str, str], cookie: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request("POST", path, body=urlencode(fields), headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def test_two_machines_share_rate_limits_and_sessions_through_redis(make_instance, processes):
        """Two machines, one database, one Redis: a visitor's session opened on machine A is valid on
        machine B, and the wrong-receipt limit counts their tries on both machines together."""
        import secrets

        first = make_instance("machine-a")
        second = make_instance("machine-b", share=first)
        shared = {"OUTREACH_REDIS_URL": TEST_REDIS_URL, "OUTREACH_HELP_RECEIPT_LIMIT": "3 per hour",
                  # A key of this run's own: the limiter's keys (HMACs of the address) are new ones.
                  "OUTREACH_SECRET_KEY": f"process-test-{secrets.token_hex(16)}"}
        first.env.update(shared)
        second.env.update(shared)
        server_a, server_b = processes.server(first), processes.server(second)
        processes.ready()

        connection = http.client.HTTPConnection("127.0.0.1", server_a.port, timeout=30)
        connection.request("GET", "/en/help/check")
        response = connection.getresponse()
        page = response.read().decode("utf-8")
        assert response.status == 200, page[:500]
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        connection.close()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        wrong = {"csrf_token": token, "receipt": "K7QF-2M9T-AAAA-BBBB-CCCC-DDDD-EEEE"}

        # The session (and so the CSRF token) written by A is read by B: no "form expired".
        answers = [_post_form(server, "/en/help/check", wrong, cookie) for server in (server_a, server_b, server_a)]
        assert [status for status, _ in answers] == [200, 200, 200], [body[:300] for _, body in answers]
        assert all("We could not find a request with that receipt" in body for _, body in answers)
        # Three wrong tries across the two machines: the fourth is refused on either.
        for server in (server_b, server_a):
            status, body = _post_form(server, "/en/help/check", wrong, cookie)
            assert status == 429, body[:500]
            assert 'href="tel:988"' in body
        for server in (server_a, server_b):
            assert_healthy(server)

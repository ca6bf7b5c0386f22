"""A head start: the run's first reads, sent while Python is still importing and validating.

Before the first request can go, a run imports the validating model and the HTTP stack, checks
every input, lists the artifact and hashes it: about a third of a second. The first requests of
a deploy do not depend on any of that: they read the project (and on Cloudflare Pages, beside
it, the upload token) with the token and names given. So :func:`start` sends them at once, on
threads, and :func:`ci_deploy.http.send` answers the run's own identical request from here when it comes.
At 100 ms a round trip that hides one or two of them behind start-up.

They go out through ``http.client`` before httpx is imported (:mod:`ci_deploy.first_reads`); a
proxy in the environment or a ``*.localhost`` API over HTTPS means no head start
(:func:`~ci_deploy.first_reads.direct`).

A read's answer may make more reads possible (:attr:`FirstRead.then`): on Cloudflare Pages the
upload token's JWT lets ``check-missing`` go out the moment it arrives, with the folder's hashes
worked out on the main thread while the first reads travel (:attr:`FirstRead.prepare`).
``check-missing`` is a POST only because its body is the list of hashes; the interface names it
read-only (a dry run may send it), and it changes nothing.

It changes nothing the run promises:

- Only reads the platform declares (``PlatformSpec.first_reads``), only for a deploy
  of a folder, and only when every input passes its own parser (the checks the validating model
  runs, token and API URL included) and ``env`` and the event can be read: a run with a bad input
  value sends nothing, as before. A folder whose contents break a platform rule (a file over the
  size limit, a Functions folder) is still exit 2 with nothing written, but found after these
  reads. No early answer is ever printed.
- An answer is used only for the same method, URL (query included), ``Authorization`` and body,
  and only before the run's first write: a write (a request that is neither a GET nor a read
  sent early) drops every answer not yet used, since what it changes could make them stale. A
  rate-limit or server error answer is not used: the run sends its own request, with its
  retries. A request that failed at all is simply sent again.
- ``CI_DEPLOY_HEAD_START=0`` turns it off (a test that counts requests, a gateway that must
  see them in order).
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from http.client import HTTPConnection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ci_deploy import first_reads, hash_ahead
from ci_deploy.config import values
from ci_deploy.config.context import RunContext, load_event
from ci_deploy.config.envvars import read_env_inputs
from ci_deploy.config.parsers import first_invalid
from ci_deploy.config.raw import raw_inputs
from ci_deploy.errors import CiDeployError
from ci_deploy.platforms import PLATFORMS

if TYPE_CHECKING:
    import httpx

    from ci_deploy.first_reads import EarlyAnswer, FirstRead, FirstReads, Origin

log = logging.getLogger("ci_deploy.head_start")

Key = tuple[str, ...]

#: seconds between the interpreter's hand-overs of its lock while a head start is open (5 ms
#: otherwise)
SWITCH_INTERVAL = 0.001
#: seconds the main thread leaves the lock to the read threads, so their requests are written
#: before the preparations (hashing) hold it: measured, the first reads left ~20 ms later without
SEND_GRACE = 0.004


class HeadStart:
    """The answers of one run's first reads, each claimed at most once, all dropped at its
    first write."""

    def __init__(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        # while its threads wait for answers, each of them must get the interpreter lock from
        # the importing main thread within ~1 ms, not 5: a follow-up read (check-missing) takes
        # it several times on its way out
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._lock = threading.Lock()
        self._answers: dict[Key, Future[EarlyAnswer]] = {}
        self._connections: list[HTTPConnection] = []
        self._open = True

    def offer(self, reads: Sequence[FirstRead]) -> None:
        """Send ``reads`` (each on its own thread), their answers claimable as they arrive."""
        for read, answer in self._register(reads):
            threading.Thread(target=self._fetch, args=(read, answer), daemon=True).start()

    def _register(self, reads: Sequence[FirstRead]) -> list[tuple[FirstRead, Future[EarlyAnswer]]]:
        """A future for each read, claimable from now on (none once the head start is closed)."""
        pending: list[tuple[FirstRead, Future[EarlyAnswer]]] = []
        with self._lock:
            if not self._open:
                return []
            for read in reads:
                answer: Future[EarlyAnswer] = Future()
                pending.append((read, answer))
                self._answers[_key(read.method, read.url, read.headers["Authorization"], read.body)] = answer
        return pending

    def _fetch(
        self, read: FirstRead, answer: Future[EarlyAnswer], taken: tuple[Origin, HTTPConnection] | None = None
    ) -> None:
        """Send ``read`` (on the connection its first read ``taken``, when it goes to the same
        host); then the reads its answer makes possible, from this same thread: while the main
        thread imports, a new thread would first wait its turn for the interpreter lock."""
        origin = first_reads.origin_of(read.url)
        try:
            connection = self._connection(origin, taken)
            early = first_reads.exchange(connection, read)
            connection.auto_open = 0  # once closed (by close(), or the server), never reopened
        except BaseException as error:  # never raised here: the run's own request raises it
            answer.set_exception(error)
            return
        follow_ups = []
        if read.then is not None and early.status_code == 200:
            # registered before this answer can be claimed, so the run's own request finds them
            follow_ups = self._register(_follow_ups(read.then, early))
        answer.set_result(early)
        for follow_up, its_answer in follow_ups:
            self._fetch(follow_up, its_answer, (origin, connection))

    def _connection(self, origin: Origin, taken: tuple[Origin, HTTPConnection] | None) -> HTTPConnection:
        """The connection ``taken`` when it goes to ``origin`` and is still open, else a new one
        (opened by its first request) closed with the head start; none once the head start is
        over. A used connection does not reopen itself (``auto_open``): what :meth:`close`
        closed sends nothing more."""
        with self._lock:
            if not self._open:
                raise ConnectionAbortedError("the head start is over")
            if taken is not None and taken[0] == origin and taken[1].sock is not None:
                return taken[1]
            connection = first_reads.connection_for(origin)
            self._connections.append(connection)
        return connection

    def pending(self) -> bool:
        return bool(self._answers)

    @property
    def is_open(self) -> bool:
        return self._open

    def claim(self, request: httpx.Request) -> httpx.Response | None:
        """The early answer to ``request`` (waited for if still on its way), or None."""
        with self._lock:
            answer = self._answers.pop(key_of(request), None)
        if answer is None:
            return None
        try:
            response = answer.result().response_to(request)
        except Exception:  # the run sends it again, with retries
            return None
        # imported here: http asks this module first, at its own import
        from ci_deploy import http
        from ci_deploy.ratelimit import is_rate_limited

        if response.status_code in http.TRANSIENT_STATUSES or is_rate_limited(response):
            return None  # the run's own request retries it
        log.debug("%s %s answered early", request.method, request.url.path)
        return response

    def close(self) -> None:
        """No answer is used from now on (the run wrote something, or ended). The connections
        the reads went out on are closed too: they would otherwise stay open, unused, until the
        process ends. An answer already claimed was read whole and lives on."""
        with self._lock:
            if self._open:
                sys.setswitchinterval(self._switch_interval)
            self._open = False
            self._answers.clear()
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()


def key_of(request: httpx.Request) -> Key:
    """The key of the run's own request: as :func:`_key`."""
    return _key(request.method, str(request.url), request.headers.get("authorization", ""), request.content)


def _key(method: str, url: str, authorization: str, body: bytes | None) -> Key:
    """Method, URL and ``Authorization``; and for a read sent as a POST, its body's digest."""
    if method == "GET":
        return method, url, authorization
    return method, url, authorization, hashlib.sha256(body or b"").hexdigest()


def _follow_ups(
    then: Callable[[EarlyAnswer], Sequence[FirstRead]], answer: EarlyAnswer
) -> Sequence[FirstRead]:
    try:
        return then(answer)
    except Exception:  # no follow-up: the run sends its own
        log.debug("no follow-up read", exc_info=True)
        return ()


#: the current run's head start (None: none started, or the run has ended)
_current: HeadStart | None = None


def start(inputs: Mapping[str, str], environ: Mapping[str, str]) -> None:
    """Send the platform's first reads in the background when the raw inputs allow it."""
    global _current
    stop()  # a head start left over by an earlier run in this process (tests) is over
    if environ.get("CI_DEPLOY_HEAD_START", "1").strip().lower() in ("0", "false", "no", "off"):
        return
    raw = raw_inputs(inputs, environ)
    spec = PLATFORMS.get(raw["platform"])
    if spec is None or not raw["token"] or not raw["project"] or not _plausible(raw, environ):
        return
    reads = _reads(spec.first_reads, raw)
    if reads and all(first_reads.direct(read.url) for read in reads):
        _current = HeadStart()
        _current.offer(reads)
        time.sleep(SEND_GRACE)
        _prepare(reads)


def _prepare(reads: Sequence[FirstRead]) -> None:
    """The follow-up reads' own work, here on the main thread while the reads travel: on a
    thread beside the imports, work that reads files waits for the interpreter lock at every read."""
    for read in reads:
        if read.prepare is not None:
            try:
                read.prepare()
            except Exception:  # its follow-up is simply not sent; the run finds the fault itself
                log.debug("a head start's preparation failed", exc_info=True)


def _reads(first_reads: FirstReads, raw: Mapping[str, str]) -> Sequence[FirstRead]:
    """Built here, on the main thread (plain data, no HTTP stack needed); it is the sending that
    overlaps the rest of start-up."""
    try:
        return first_reads(raw)
    except Exception:  # a guess that cannot be built is no head start; the run reports the input
        log.debug("no head start", exc_info=True)
        return ()


def _plausible(raw: Mapping[str, str], environ: Mapping[str, str]) -> bool:
    """A deploy of a folder whose inputs all pass their parsers, with ``env`` and the event
    readable and a token a header can carry. Archives (whose checks come with extraction), other
    commands and preview domains (whose rules need the event) get no head start."""
    if raw["command"] not in ("", "deploy") or raw["preview-domain"] or raw["artifact-name"]:
        return False
    working_directory = Path(raw["working-directory"] or ".")
    if not working_directory.is_dir() or not (working_directory / (raw["artifact"] or "dist")).is_dir():
        return False
    try:
        values.check_secret_text(raw["token"])
        read_env_inputs(raw["env"], raw["env-file"], working_directory, environ)
        load_event(RunContext.from_environ(environ))
    except (values.InvalidValue, CiDeployError):
        return False
    return first_invalid(raw) is None


def answer(client: httpx.Client, method: str, url: str, kwargs: Mapping[str, Any]) -> httpx.Response | None:
    """For :func:`ci_deploy.http.send`: the early answer to this very request, if there is one.
    A request that is neither a GET nor a read sent early (a JSON body the same as one sent
    early) is a write, after which no early answer is used."""
    current = _current
    if current is None:
        return None
    early = None
    if current.pending() and (method == "GET" or "json" in kwargs):
        headers, params, body = kwargs.get("headers"), kwargs.get("params"), kwargs.get("json")
        early = current.claim(client.build_request(method, url, params=params, headers=headers, json=body))
    if early is None and method != "GET" and current.is_open:
        current.close()
    return early


def running() -> bool:
    """True while this run's head start has not ended (:func:`stop`)."""
    return _current is not None


def pending() -> bool:
    current = _current
    return current is not None and current.pending()


def stop() -> None:
    """The run ended: nothing it started early is used by the next one."""
    global _current
    current, _current = _current, None
    if current is not None:
        current.close()
    hash_ahead.stop()

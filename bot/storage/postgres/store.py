"""The PostgreSQL store: a pool of psycopg connections and a worker thread per connection.

Each write is a transaction function of a ``UnitOfWork`` (the same functions the SQLite store
runs), run whole on a worker thread inside one transaction, so a use case never awaits
between reading a row and writing it. Isolation is PostgreSQL's READ COMMITTED plus row
locks: the repositories of a write read the row they go on to change with ``FOR UPDATE``
(``PostgresDialect``), so two bids on one auction, from this process or another, take
turns on its row and each reads the state the other committed: no lost bid, never two
leaders, never a falling price. Uniqueness that spans rows (one open auction per handle,
one owner per sold handle) is a unique index. A deadlock or serialization failure (possible
under contention between processes) is retried with a fresh unit of work.

A write an interaction caused first claims its key (``bot/interactions.py``) in the same
transaction; a key another process claimed first refuses the write with ``AlreadyHandled``.

A caller's result is handed back only after COMMIT: an acknowledged write is stored. The
events of a committed write are published right after it, even if the caller stopped
waiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psycopg
import psycopg.errors
import psycopg_pool

from bot.domain.errors import AlreadyHandled, AuctionError, StorageUnavailable
from bot.domain.events import Event
from bot.interactions import InteractionKey, current
from bot.ports import StartupError
from bot.storage.postgres.connection import READING, WRITING, PgConnection
from bot.storage.postgres.schema import migrate
from bot.storage.sql.repositories import SqlRepositories
from bot.unit_of_work import Transaction, UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")
Publish = Callable[[list[Event]], None]
# (committed, its value or error, its events, whether it claimed its interaction's key)
_Outcome = tuple[bool, Any, list[Event], bool]
DEFAULT_POOL_SIZE = 10
WAIT_FOR_CONNECTION = 2.0  # seconds
RECONNECT_FOR = 7 * 86_400.0  # seconds
# A deadlock or serialization failure is the database choosing a loser; run it again.
_RETRIED = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)
RETRIES = 5
# The server cannot be reached, went away, or cannot store anything (disk full).
_UNAVAILABLE = (psycopg.OperationalError, psycopg_pool.PoolTimeout)


def _no_events(events: list[Event]) -> None:
    pass


def _try_connect(url: str, timeout: float) -> None:
    psycopg.connect(url, connect_timeout=max(1, round(timeout))).close()


def safe_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


class PostgresStore:
    """Implements ``Store`` over a connection pool; any number of processes may share the
    database."""

    def __init__(self, pool: psycopg_pool.ConnectionPool, url: str, size: int) -> None:
        self._pool = pool
        self.url = url
        self._publish: Publish = _no_events
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="postgres")
        self._in_flight: set[asyncio.Future[Any]] = set()
        self._closed = False

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        publish: Publish = _no_events,
        pool_size: int = DEFAULT_POOL_SIZE,
        connect_timeout: float = 10.0,
    ) -> PostgresStore:
        """Connect to ``url`` (``postgresql://user@host:port/dbname``) and bring its schema up
        to date (under an advisory lock, so processes starting together don't race)."""
        pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},  # transactions are explicit (``transaction()``)
            # A write waits this long for a connection, then is refused plainly ("I can't save
            # bids right now"), within the time a member's answer may take.
            timeout=WAIT_FOR_CONNECTION,
            # Through an outage of any length the pool keeps trying to reconnect.
            reconnect_timeout=RECONNECT_FOR,
            open=False,
            name="auctions",
        )
        store = cls(pool, url, pool_size)
        try:
            # One plain connection first: its error says what is wrong (no such database, a
            # refused password), where the pool would only say that it timed out.
            await store._on_thread(lambda: _try_connect(url, connect_timeout))
            await store._on_thread(lambda: pool.open(wait=True, timeout=connect_timeout))
            await store._on_thread(store._migrate)
        except BaseException as exc:
            await store._shutdown()
            if isinstance(exc, (psycopg.Error, psycopg_pool.PoolTimeout)):
                # One line: the server's words (which may span lines), then what to check.
                said = " ".join(str(exc).split()) or type(exc).__name__
                said += "" if said.endswith((".", "?", "!")) else "."
                raise StartupError(
                    f"cannot use the database {safe_url(url)}: {said}"
                    " Check that PostgreSQL is running there and the database exists."
                ) from exc
            raise
        store._publish = publish
        return store

    def _migrate(self) -> int:
        with self._pool.connection() as raw:
            return migrate(raw)

    async def _on_thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def publish_to(self, publish: Publish) -> None:
        """Where the events of committed writes go from now on."""
        self._publish = publish

    async def write(self, transaction: Transaction[T]) -> T:
        """Run ``transaction`` in a transaction; return its result once committed, or raise
        its error. Its events are published right after the commit, even if the caller has
        stopped waiting, so follow-up work is never lost with an impatient caller."""
        self._check_open()
        handling = current()  # on the caller's task: the worker thread sees no context
        key = None if handling is None else handling.next_key()
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._transact, transaction, True, key
        )
        self._in_flight.add(future)
        # A fresh context: what the events start must not carry the caller's interaction.
        future.add_done_callback(self._settled, context=contextvars.Context())
        ok, value, _, claimed = await asyncio.shield(future)
        if claimed and handling is not None:
            handling.took_effect = True
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    async def read(self, query: Transaction[T]) -> T:
        """Run a read-only function in one transaction (each statement sees what was committed
        when it began, as in SQLite)."""
        self._check_open()
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._transact, query, False, None
        )
        ok, value, _, _ = await future
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    async def on_connection(self, fn: Callable[[PgConnection], T]) -> T:
        """Run ``fn`` on a connection of the pool, in a transaction: for maintenance and
        tests only."""
        self._check_open()

        def run() -> T:
            with self._pool.connection() as raw, raw.transaction():
                return fn(PgConnection(raw))

        return await self._on_thread(run)

    def _transact(
        self, fn: Transaction[Any], writing: bool, key: InteractionKey | None
    ) -> _Outcome:
        for attempt in range(1, RETRIES + 1):
            try:
                with self._pool.connection() as raw:
                    return _run(raw, fn, writing, key)
            except _RETRIED as exc:
                if attempt == RETRIES:
                    raise
                log.info("retrying a transaction the database chose to abort: %s", exc)
            except _UNAVAILABLE as exc:
                log.error("the database cannot store anything: %s", exc)
                raise StorageUnavailable() from exc
        raise AssertionError("unreachable")

    def _settled(self, future: asyncio.Future[_Outcome]) -> None:
        self._in_flight.discard(future)
        if future.cancelled() or future.exception() is not None:
            return
        ok, _, events, _ = future.result()
        if ok and events:
            try:
                self._publish(events)
            except Exception:
                log.exception("publishing the events of a committed write failed")

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("The database is closed.")

    async def close(self) -> None:
        """Finish the writes in flight, then close the pool."""
        if self._closed:
            return
        self._closed = True
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))
        await self._shutdown()

    async def _shutdown(self) -> None:
        await self._on_thread(self._pool.close)
        self._executor.shutdown(wait=False)


def _run(
    raw: psycopg.Connection[Any], fn: Transaction[Any], writing: bool, key: InteractionKey | None
) -> _Outcome:
    """One transaction. A keyed write claims its key first; its work then runs in a savepoint,
    so that a refusal it raises undoes its changes but keeps the key (the refusal was that
    interaction's answer). Anything else it raises undoes everything, key included."""
    uow = UnitOfWork(SqlRepositories(PgConnection(raw), WRITING if writing else READING))
    with raw.transaction():
        if key is not None:
            if not uow.interactions.claim(key.interaction_id, key.seq, key.at):
                return (False, AlreadyHandled(key.interaction_id, key.seq), [], False)
            try:
                with raw.transaction():  # a savepoint
                    value = fn(uow)
            except AuctionError as refusal:
                return (False, refusal, [], True)
            return (True, value, uow.events, True)
        value = fn(uow)  # what it raises rolls the transaction back, and reaches the caller
    return (True, value, uow.events, False)

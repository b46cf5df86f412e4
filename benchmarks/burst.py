"""A burst of queued ``/bid`` interactions, answered by the real bot and by an ack-only bot:
``python -m benchmarks.burst [--quick] [--rounds N] [--bids N] [--profile DIR]``.

The bots run as child processes against one loopback Discord emulator (the end-to-end
suite's, ``bot/sandbox/``) on this machine, in turn round by round (bot, ack-only, ack-only
with the pool; then each goes first in turn), so a slow patch of the machine hits all.

- the bot: ``python -m bot`` with its REST and gateway clients pointed at the emulator (the
  e2e harness's ``tests.e2e.run_bot``), on a fresh database each round, with one open
  auction; the burst is real bids on it from six members, each at the next minimum in
  sequence, so most are accepted and those overtaken are refused as too low;
- the ack-only bot: ``benchmarks.ack_bot``, a plain discord.py client with a ``/bid`` of the
  same shape that answers each interaction with one ephemeral ``send_message``.

They differ in one setting that is not work: the bot keeps its HTTP connections in a bounded
pool (``[discord].http_connections``, 100 per host), the ack-only bot has discord.py's
default, a connector with no limit, which opens a connection for each answer in flight. So a
third bot runs each round, the ack-only bot with the bot's pool, and the second ratio printed
is against it: what the bot's own work costs. The connections each one opened during the
burst are printed with its round.

A round injects ``--bids`` interactions through the gateway as fast as the emulator can
write them (the bot reads them from its socket as a backlog), then waits until each one is
answered or has failed. What is measured comes from the emulator's own records, not the
bots': when each interaction was created and dispatched, when its first callback reached
"Discord" (accepted or too late: the emulator enforces the 3 s deadline and the 15-minute
follow-up window), and when the member saw the answer (the callback itself, or the
follow-up after a defer). answered/s is the burst's size over the time from its first
interaction's creation to its last one's answer (an answer refused as too late counts when
it was sent; the late count says how many were). Request validation against Discord's
OpenAPI spec is off: it costs milliseconds per request in the emulator's process, and the
e2e suite does it already.

After each bot round the database is read: every bid the bot told a member was accepted
is stored, and no bid it refused is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import print_machine
from bot.config import DiscordSettings
from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    AUDIT_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    EVERYONE_NAMED_ID,
    GUILD_ID,
    MODERATOR_ID,
    MODERATOR_ROLE_ID,
    OWNER_ID,
    DiscordEmulator,
    InteractionHandle,
    RecordedRequest,
    default_world,
)
from tests.e2e.conftest import BASE_CONFIG, auction_post, reply_text, start_auction

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = (ALICE_ID, BOB_ID, CAROL_ID, OWNER_ID, EVERYONE_NAMED_ID, MODERATOR_ID)
DEADLINE = 3.0  # Discord's: the first response within 3 s of the interaction's creation
# Interactions in the unmeasured burst that warms the emulator up.
WARM_UP_BIDS = 500
STARTING_BID = INCREMENT = 10
SETTLE_TIMEOUT = 120.0  # seconds after the burst for the last answer
QUICK_BIDS = 200
CALLBACK = re.compile(r"^/interactions/(\d+)/([^/]+)/callback$")
WEBHOOK = re.compile(r"^/webhooks/\d+/([^/]+)(/messages/@original)?$")
ACCEPTED = re.compile(r"^You (lead|still lead|bought) |^Your bid of [0-9,]+ .* was accepted")
REFUSED = re.compile(r"minimum bid is|^You already lead at |opening bid must be")


class ConsistencyError(RuntimeError):
    """What the database holds does not match what the members were told."""


@dataclass(slots=True)
class Round:
    """One burst answered by one bot."""

    bot: str
    number: int
    sent: int
    responded: int = 0  # got a first response, in time or not
    answered: int = 0  # the member saw a real answer
    late: int = 0  # first response later than DEADLINE after creation (or none at all)
    followups: int = 0  # deferred first, answered by a follow-up
    needless_followups: int = 0  # ... although the answer was ready within DEADLINE
    other_requests: int = 0  # not answers: outbid DMs, post edits...
    connections: int = 0  # TCP connections the bot opened to the emulator during the burst
    seconds: float = 0.0  # first interaction created -> the last one answered
    inject_seconds: float = 0.0
    first_response: list[float] = field(default_factory=list, repr=False)
    accepted: int = 0
    refused: int = 0
    stored_unacknowledged: int = 0
    errors: int = 0  # ERROR lines in the bot's log
    cpu_seconds: float | None = None  # the bot process's CPU time during the burst
    thread_cpu_seconds: float | None = None  # ... in threads other than the event loop's
    emulator_cpu_seconds: float = 0.0  # this process's (the emulator's)

    @property
    def rate(self) -> float:
        """Interactions answered per second, from the first one's creation to the last
        one's answer; an answer Discord refused as too late counts when it was sent (the
        late count says how many were)."""
        return self.responded / self.seconds if self.seconds > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f} ms"


# -- the two bots as child processes -----------------------------------------------------------


class Child:
    """A bot process connected to the emulator; its output goes to ``log_path``."""

    def __init__(
        self, emulator: DiscordEmulator, argv: Sequence[str], workdir: Path, label: str
    ) -> None:
        self.emulator = emulator
        self.argv = list(argv)
        self.workdir = workdir
        self.label = label
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        identified = len(self.emulator.identifies)
        env = dict(os.environ, DISCORD_EMULATOR_URL=self.emulator.base_url, PYTHONPATH=str(ROOT))
        env.pop("DISCORD_TOKEN", None)
        with self.log_path.open("a", encoding="utf-8") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *self.argv, cwd=self.workdir, env=env,
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        try:
            await self.emulator.wait_for(lambda: len(self.emulator.identifies) > identified, 60)
            await self.emulator.wait_for_bot(30)
        except TimeoutError:
            await self.stop()
            raise RuntimeError(f"{self.label} did not connect; its log:\n{self.log()}") from None

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise RuntimeError(
                f"{self.label} did not stop on SIGTERM; its log:\n{self.log()}"
            ) from None
        # The emulator sees the gateway connection go before the next bot connects.
        await self.emulator.wait_for(lambda: self.emulator.connected_bots == 0, 30)
        if process.returncode != 0:
            raise RuntimeError(f"{self.label} exited with {process.returncode}:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def cpu_seconds(self) -> tuple[float, float] | None:
        """CPU time the process has used so far: all threads, and its other threads than
        the event loop's (the database's, for the bot). Linux only, else None."""
        if self.process is None:
            return None
        pid = self.process.pid
        try:
            total = _cpu(f"/proc/{pid}/stat")
            loop = _cpu(f"/proc/{pid}/task/{pid}/stat")
        except OSError:
            return None
        return total, total - loop


def _cpu(stat_path: str) -> float:
    with open(stat_path, encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime, fields 14 and 15 of proc(5), counted after the ")" of the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _python(module: str, profile: Path | None) -> list[str]:
    return (["-m", "cProfile", "-o", str(profile)] if profile else []) + ["-m", module]


def real_bot(emulator: DiscordEmulator, workdir: Path, profile: Path | None) -> Child:
    """``python -m bot`` (through the e2e harness's entry point), config as in the e2e suite
    but with the defaults' post edit interval and connection pool."""
    config = workdir / "config.toml"
    config.write_text(
        BASE_CONFIG.format(
            guild=GUILD_ID,
            auctions=AUCTIONS_CHANNEL_ID,
            audit=AUDIT_CHANNEL_ID,
            moderator_role=MODERATOR_ROLE_ID,
            edit_interval="3s",
            http_connections=DiscordSettings().http_connections,
            snipe_window="2m",
            snipe_extension="2m",
            platform="x",
            outbox="",
            extra="",
            shards="",  # one process, one shard
            processes=1,
        ),
        encoding="utf-8",
    )
    argv = [*_python("tests.e2e.run_bot", profile), "--config", str(config)]
    return Child(emulator, argv, workdir, "the bot")


def ack_bot(
    emulator: DiscordEmulator, workdir: Path, profile: Path | None, pool: int | None = None
) -> Child:
    argv = [*_python("benchmarks.ack_bot", profile), str(GUILD_ID)]
    if pool is not None:
        argv.append(str(pool))
        return Child(emulator, argv, workdir, "the pooled ack-only bot")
    return Child(emulator, argv, workdir, "the ack-only bot")


# -- one round ---------------------------------------------------------------------------------


async def inject(emulator: DiscordEmulator, bids: int, handle: str) -> list[InteractionHandle]:
    """``bids`` /bid interactions, each built (and so created) just before it is dispatched."""
    handles = []
    for i in range(bids):
        options = {"handle": handle, "amount": STARTING_BID + INCREMENT * i}
        payload = emulator.slash(MEMBERS[i % len(MEMBERS)], "bid", options)
        handles.append(await emulator.send_interaction(payload))
    return handles


def _settled(handle: InteractionHandle) -> bool:
    return handle.expired or bool(reply_text(handle).strip())


async def settle(emulator: DiscordEmulator, handles: Sequence[InteractionHandle]) -> None:
    """Wait until each interaction is answered or has failed (or SETTLE_TIMEOUT passed)."""
    with contextlib.suppress(TimeoutError):
        await emulator.wait_for(lambda: all(_settled(h) for h in handles), SETTLE_TIMEOUT, 0.05)


@dataclass(slots=True)
class _Requests:
    """A round's requests by interaction: first callback, accepted callback, follow-up."""

    first_callback: dict[int, RecordedRequest] = field(default_factory=dict)
    answered_callback: dict[int, RecordedRequest] = field(default_factory=dict)
    followup: dict[str, RecordedRequest] = field(default_factory=dict)  # by token
    other: int = 0  # not about an interaction: outbid DMs, post edits...

    @classmethod
    def index(cls, requests: Sequence[RecordedRequest]) -> _Requests:
        out = cls()
        for request in requests:
            ok = 200 <= request.status < 300
            if callback := CALLBACK.match(request.path):
                interaction_id = int(callback.group(1))
                out.first_callback.setdefault(interaction_id, request)
                if ok:
                    out.answered_callback.setdefault(interaction_id, request)
            elif webhook := WEBHOOK.match(request.path):
                if ok and request.method in {"POST", "PATCH"}:
                    out.followup.setdefault(webhook.group(1), request)
            else:
                out.other += 1
        return out


def measure(
    result: Round, handles: Sequence[InteractionHandle], requests: Sequence[RecordedRequest]
) -> None:
    """Fill ``result`` from what the emulator recorded."""
    index = _Requests.index(requests)
    result.other_requests = index.other
    first_callback, answered_callback, followup = (
        index.first_callback,
        index.answered_callback,
        index.followup,
    )
    began = min(h.dispatched_at for h in handles)
    last = began
    for handle in handles:
        first = first_callback.get(handle.id)
        if first is None:
            result.late += 1  # never answered at all
            continue
        result.responded += 1
        latency = first.at - handle.dispatched_at
        result.first_response.append(latency)
        if handle.expired or latency > DEADLINE:
            result.late += 1
        done = first  # refused as too late: done when it was sent
        if handle.callback is not None and reply_text(handle).strip():
            if handle.callback.get("type") == 5:
                result.followups += 1
                seen = followup.get(handle.token)
                if seen is not None and seen.at - handle.dispatched_at <= DEADLINE:
                    result.needless_followups += 1
            else:
                seen = answered_callback.get(handle.id)
            if seen is not None:
                result.answered += 1
                done = seen
        last = max(last, done.at)
    result.seconds = last - began


def check_stored(result: Round, handles: Sequence[InteractionHandle], database: Path) -> None:
    """Every bid acknowledged as accepted is stored; no refused bid is. Amounts are unique
    in a burst, so an amount names one interaction."""
    accepted: dict[int, int] = {}
    refused: dict[int, int] = {}
    unexpected = []
    for handle in handles:
        text = reply_text(handle).strip()
        if not text:
            continue  # never answered: the member saw a failure, whatever happened
        options = {o["name"]: o["value"] for o in handle.payload["data"]["options"]}
        member = int(handle.payload["member"]["user"]["id"])
        if ACCEPTED.search(text):
            accepted[int(options["amount"])] = member
        elif REFUSED.search(text):
            refused[int(options["amount"])] = member
        else:
            unexpected.append(text)
    result.accepted, result.refused = len(accepted), len(refused)
    if unexpected:
        raise ConsistencyError(f"replies that are neither accepted nor refused: {unexpected[:3]}")
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        stored = dict(
            db.execute("SELECT amount, bidder_id FROM bids WHERE voided_at IS NULL").fetchall()
        )
    missing = {a: m for a, m in accepted.items() if stored.get(a) != m}
    if missing:
        raise ConsistencyError(
            f"{len(missing)} bid(s) acknowledged as accepted are not stored, e.g. "
            f"{sorted(missing.items())[:3]}"
        )
    wrongly = sorted(set(refused) & set(stored))
    if wrongly:
        raise ConsistencyError(f"{len(wrongly)} refused bid(s) are stored, e.g. {wrongly[:3]}")
    # Stored although the member never heard so: the interaction failed after the commit.
    result.stored_unacknowledged = len(set(stored) - set(accepted))


async def bot_round(
    emulator: DiscordEmulator, number: int, bids: int, workdir: Path, profile: Path | None
) -> Round:
    child = real_bot(emulator, workdir, profile)
    await child.start()
    try:
        handle = f"burst{number}"
        await start_auction(
            emulator, f"@{handle}", starting_bid=STARTING_BID, increment=str(INCREMENT)
        )
        await auction_post(emulator, f"@{handle}")
        result = await _burst(emulator, child, number, bids, handle)
    finally:
        await child.stop()
    handles = emulator.interactions[-bids:]
    check_stored(result, handles, workdir / "auctions.db")
    result.errors = sum(1 for line in child.log().splitlines() if " ERROR " in line)
    return result


async def ack_round(
    emulator: DiscordEmulator, number: int, bids: int, workdir: Path, profile: Path | None
) -> Round:
    return await _ack(emulator, number, bids, workdir, profile, pool=None)


async def pooled_ack_round(
    emulator: DiscordEmulator, number: int, bids: int, workdir: Path, profile: Path | None
) -> Round:
    pool = DiscordSettings().http_connections
    return await _ack(emulator, number, bids, workdir, profile, pool=pool)


async def _ack(
    emulator: DiscordEmulator,
    number: int,
    bids: int,
    workdir: Path,
    profile: Path | None,
    *,
    pool: int | None,
) -> Round:
    child = ack_bot(emulator, workdir, profile, pool)
    await child.start()
    try:
        return await _burst(emulator, child, number, bids, "anything")
    finally:
        await child.stop()


async def _burst(
    emulator: DiscordEmulator, child: Child, number: int, bids: int, handle: str
) -> Round:
    label = {"the bot": "bot", "the pooled ack-only bot": "ack+pool"}.get(child.label, "ack-only")
    result = Round(bot=label, number=number, sent=bids)
    since, connected = len(emulator.requests()), emulator.connections_opened
    cpu_before, emulator_cpu_before = child.cpu_seconds(), time.process_time()
    began = time.monotonic()
    handles = await inject(emulator, bids, handle)
    result.inject_seconds = time.monotonic() - began
    await settle(emulator, handles)
    cpu_after, emulator_cpu_after = child.cpu_seconds(), time.process_time()
    await asyncio.sleep(0.2)  # a late callback's retry, if any, is recorded too
    measure(result, handles, emulator.requests()[since:])
    result.connections = emulator.connections_opened - connected
    if cpu_before is not None and cpu_after is not None:
        result.cpu_seconds = cpu_after[0] - cpu_before[0]
        result.thread_cpu_seconds = cpu_after[1] - cpu_before[1]
    result.emulator_cpu_seconds = emulator_cpu_after - emulator_cpu_before
    return result


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    rounds: int
    bids: int
    profile: Path | None


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.burst",
        description="Answer rate of a burst of /bid interactions: the bot against an ack-only bot.",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds per bot (3)")
    parser.add_argument("--bids", type=int, default=None, help="interactions per burst (2000)")
    parser.add_argument("--quick", action="store_true", help=f"1 round of {QUICK_BIDS} bids")
    parser.add_argument(
        "--profile", type=Path, default=None, help="write a cProfile of each bot process here"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    bids = args.bids if args.bids is not None else (QUICK_BIDS if args.quick else 2000)
    if rounds < 1 or bids < 1:
        parser.error("--rounds and --bids must be at least 1")
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    return Options(
        rounds=rounds, bids=bids, profile=None if args.profile is None else args.profile.resolve()
    )


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _round_line(r: Round) -> str:
    line = (
        f"  round {r.number} {r.bot:<9} {r.rate:,.0f} answered/s ({r.sent:,} in {r.seconds:.2f} s, "
        f"{r.answered:,} answered in time); late first responses {r.late}; "
        f"follow-ups {r.followups} ({r.needless_followups} ready within {DEADLINE:.0f} s); "
        f"first response p50 {_ms(percentile(r.first_response, 0.5))}, "
        f"p99 {_ms(percentile(r.first_response, 0.99))}; injected in {r.inject_seconds:.2f} s; "
        f"{r.other_requests:,} other requests (DMs, post edits); "
        f"{r.connections:,} connections opened; "
        f"CPU per interaction: bot {_cpu_ms(r.cpu_seconds, r.sent)} "
        f"(other threads than the loop {_cpu_ms(r.thread_cpu_seconds, r.sent)}), "
        f"emulator {_cpu_ms(r.emulator_cpu_seconds, r.sent)}"
    )
    if r.bot == "bot":
        line += f"; {r.accepted:,} accepted, {r.refused:,} refused"
        if r.stored_unacknowledged:
            line += f", {r.stored_unacknowledged} stored but the member saw a failure"
        line += f"; {r.errors} errors logged"
    return line


def _cpu_ms(seconds: float | None, count: int) -> str:
    return "-" if seconds is None else f"{seconds * 1000 / count:.2f} ms"


def _per_round(values: Sequence[object]) -> str:
    return ", ".join(f"{v:,.0f}" if isinstance(v, float) else str(v) for v in values)


def _summary(name: str, rounds: Sequence[Round]) -> list[str]:
    rates = [r.rate for r in rounds]
    latencies = [x for r in rounds for x in r.first_response]
    cpus = [r.cpu_seconds / r.sent for r in rounds if r.cpu_seconds is not None]
    p50s = [_ms(percentile(r.first_response, 0.5)) for r in rounds]
    p99s = [_ms(percentile(r.first_response, 0.99)) for r in rounds]
    return [
        name,
        f"  answered/s: median {statistics.median(rates):,.0f} (rounds: {_per_round(rates)})",
        f"  late first responses (> {DEADLINE:.0f} s after creation): "
        f"{sum(r.late for r in rounds)} (rounds: {_per_round([r.late for r in rounds])})",
        f"  answered by a follow-up: {sum(r.followups for r in rounds)} "
        f"(rounds: {_per_round([r.followups for r in rounds])}); of those ready within "
        f"{DEADLINE:.0f} s: {sum(r.needless_followups for r in rounds)}",
        f"  CPU per interaction, bot process: median "
        f"{_cpu_ms(statistics.median(cpus), 1) if cpus else '-'} "
        f"(emulator: {_cpu_ms(statistics.median(r.emulator_cpu_seconds / r.sent for r in rounds), 1)})",
        f"  connections opened per burst: {_per_round([r.connections for r in rounds])}",
        f"  time to first response: p50 {_ms(percentile(latencies, 0.5))}, "
        f"p99 {_ms(percentile(latencies, 0.99))} (rounds p50: {', '.join(p50s)}; "
        f"p99: {', '.join(p99s)})",
    ]


async def run(opts: Options, root: Path) -> tuple[list[Round], list[Round], list[Round]]:
    bots: list[Round] = []
    acks: list[Round] = []
    pooled: list[Round] = []
    async with DiscordEmulator(default_world(), validate_spec=False) as emulator:
        # The emulator's own first burst is slower (its caches, connections, code paths):
        # an unmeasured one first, so that neither bot's first round pays for it.
        warm_up = root / "warm-up"
        warm_up.mkdir()
        _progress("warm-up burst (not measured) ...")
        await ack_round(emulator, 0, min(opts.bids, WARM_UP_BIDS), warm_up, None)
        for number in range(1, opts.rounds + 1):
            order = [
                ("bot", bots, bot_round),
                ("ack", acks, ack_round),
                ("ack-pool", pooled, pooled_ack_round),
            ]
            shift = (number - 1) % len(order)  # each goes first in turn
            order = order[shift:] + order[:shift]
            for name, results, play in order:
                workdir = root / f"{name}{number}"
                workdir.mkdir()
                profile = opts.profile / f"{name}{number}.prof" if opts.profile else None
                _progress(f"round {number}: {name} ...")
                results.append(await play(emulator, number, opts.bids, workdir, profile))
                _progress(_round_line(results[-1]))
        if emulator.unknown_requests:
            raise ConsistencyError(
                f"requests the emulator does not know: {emulator.unknown_requests[:3]}"
            )
    return bots, acks, pooled


def main(argv: Sequence[str] | None = None) -> int:
    opts = _parse(argv)
    began = time.perf_counter()
    print_machine()
    print("settings")
    print(f"  {'bids':<10} {opts.bids:,} /bid interactions per burst, from {len(MEMBERS)} members")
    print(
        f"  {'rounds':<10} {opts.rounds} per bot, rotated (each goes first in turn), after"
        f" an unmeasured warm-up burst of {min(opts.bids, WARM_UP_BIDS):,}"
    )
    print()
    with tempfile.TemporaryDirectory(prefix="bot-burst-") as tmp:
        try:
            bots, acks, pooled = asyncio.run(run(opts, Path(tmp)))
        except ConsistencyError as exc:
            print(f"consistency: FAILED: {exc}")
            return 1
    print("rounds")
    for bot, ack, pool in zip(bots, acks, pooled, strict=True):
        print(_round_line(bot))
        print(_round_line(ack))
        print(_round_line(pool))
    print()
    for line in (
        _summary("bot (python -m bot)", bots)
        + _summary("ack-only discord.py bot (discord.py's connector, no limit)", acks)
        + _summary("ack-only discord.py bot with the bot's connection pool", pooled)
    ):
        print(line)
    print()
    rate = statistics.median(r.rate for r in bots)
    ratio = rate / statistics.median(r.rate for r in acks)
    own = rate / statistics.median(r.rate for r in pooled)
    print(f"(run took {time.perf_counter() - began:.1f} s)")
    print(f"RESULT burst ratio bot/ack-only: {ratio:.2f}")
    # What the bot's own work costs, with the connection pool taken out of the comparison.
    print(f"RESULT burst ratio bot/ack-only with the same pool: {own:.2f}")
    print(
        "checked after every bot round: each bid acknowledged as accepted is stored, "
        "no refused bid is"
    )
    print("consistency: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

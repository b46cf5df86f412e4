"""How long an inventory import takes: ``python -m benchmarks.import_bench [--rows N] [--rounds R]``.

A CSV file of ``--rows`` rows (10,000: the most one file may hold), generated from a fixed
seed, with the header ``handle,starting_bid,reserve,buy_now,tags,note``. 5% of its rows are
bad, in equal shares of six ways: invalid characters in the handle, a handle too long, a
name the server reserves, a duplicate of an earlier row's handle (cased differently), an
amount that is not a whole number, and a reserve not above the starting bid.

Measured in the same run, in ``--rounds`` rounds (3) that alternate the order of the two,
each in fresh database files (real files in a temporary directory, WAL, as the bot uses
them):

1. the import through the real path: ``Stock.import_csv`` on the core ``build_core`` builds
   over ``SqliteStore.open``, as a moderator (reading the file, checking and valuing every
   row, the database checks, the one write transaction, the audit entry and the report CSV);
2. the baseline: the same bytes parsed with the ``csv`` module and inserted with plain
   ``sqlite3`` ``executemany`` into the bot's own inventory table (same schema, indexes and
   pragmas) in one transaction, with no validation at all.

The figures are the rounds' medians. Before the rounds, wordfreq's English list is loaded
(its first use; what ``bot.words.warm()`` does at start-up) and that time printed apart;
before each round the valuation's word cache is cleared, so every round values every
handle afresh. Goal: the import under 5 seconds.

After each import the report is checked: 95% added and 5% refused, exactly the bad rows
refused, each for its own reason (a duplicate naming the row it repeats), and the
inventory table holding the added rows. Any mismatch stops the run with an error.
Never imports discord.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import io
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from benchmarks.common import NoReminders, print_machine
from bot.auctions.stock import ImportReport
from bot.bootstrap import build_core
from bot.clock import SystemClock
from bot.domain.access import Actor
from bot.domain.handles import NEVER_AUCTIONED, HandlePolicy
from bot.domain.inventory_csv import COLUMNS, MAX_BYTES, MAX_ROWS
from bot.domain.money import Currency, IncrementRule
from bot.domain.settings import HouseRules, ServerSettings
from bot.messagebus import MessageBus
from bot.storage.sqlite.schema import migrate
from bot.storage.sqlite.store import SqliteStore
from bot.words import english_zipf

GUILD = 1
MODERATOR = Actor(user_id=1, manages_guild=True)
SEED = 20_240_601
BAD_SHARE = 0.05
GOAL_SECONDS = 5.0
RESERVED = ("admin", "support", "official", "staff", "moderator", "help", "team", "owner")
SETTINGS = ServerSettings(
    currency=Currency(name="credits", max_amount=10**12),
    rules=HouseRules(
        increment=IncrementRule(absolute=1, percent=0),
        min_duration=timedelta(seconds=1),
        max_duration=timedelta(days=30),
    ),
    handles=HandlePolicy(platform="x", reserved=frozenset(RESERVED)),
)
# Each way a row is bad, and words its refusal must contain.
KINDS: dict[str, str] = {
    "invalid characters": "only letters A-Z, digits and underscores are allowed",
    "too long": "characters long",
    "reserved name": "is reserved on this server",
    "duplicate": "the same handle as row",
    "non-numeric amount": "must be a whole number",
    "reserve not above starting bid": "must be above the starting bid",
}
QUICK_ROWS, QUICK_ROUNDS = 240, 1
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ne", "to", "vu", "zi", "pe", "sa", "do", "ri", "an", "el", "or",
    "us", "ix", "on", "ly", "ta", "be", "co", "fu", "ga", "ho", "ju", "ke", "ma", "no", "qu",
)  # fmt: skip
_TAGS = ("short", "rare", "og", "word", "brandable", "numeric", "crypto", "gaming", "music", "2l")
_NOTES = (
    "", "", "", "from the spring drop", "clean history", "held since 2019",
    "no prior owner", "pairs with the matching tg handle", "a \"quoted\" word, and a comma",
)  # fmt: skip


class ConsistencyError(RuntimeError):
    """The import's report or the stored inventory is not what the file calls for."""


# -- the file ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bad:
    """A row meant to be refused, and how."""

    kind: str
    repeats: int | None = None  # for a duplicate: the row number it repeats


@dataclass(frozen=True, slots=True)
class Plan:
    data: bytes
    rows: int
    bad: dict[int, Bad]  # by row number (header = 1, first data row = 2)

    @property
    def expected_added(self) -> int:
        return self.rows - len(self.bad)

    def count(self, kind: str) -> int:
        return sum(1 for b in self.bad.values() if b.kind == kind)


class _Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set(RESERVED) | NEVER_AUCTIONED
        self.good: list[tuple[int, str]] = []  # valid rows so far: (row number, handle)

    def _letters(self, low: int, high: int) -> str:
        rng = self.rng
        word = ""
        while len(word) < low:
            word += rng.choice(_SYLLABLES)
        return word[: rng.randint(low, high)] if len(word) > high else word

    def _name(self) -> str:
        rng = self.rng
        style = rng.random()
        if style < 0.45:
            name = self._letters(3, 10)
        elif style < 0.7:
            name = self._letters(3, 8) + str(rng.randint(1, 9999))
        elif style < 0.85:
            name = self._letters(2, 6) + "_" + self._letters(2, 6)
        else:
            name = "".join(c.upper() if rng.random() < 0.3 else c for c in self._letters(4, 12))
        return name[:15]

    def fresh(self) -> str:
        """A valid handle no other row uses."""
        while True:
            name = self._name()
            if name.casefold() not in self.taken:
                self.taken.add(name.casefold())
                return name

    def prices(self) -> tuple[str, str, str]:
        rng = self.rng
        start = rng.randint(1, 5_000) if rng.random() < 0.9 else None
        reserve = (start or 0) + rng.randint(1, 5_000) if rng.random() < 0.5 else None
        buy_now = None
        if rng.random() < 0.4:
            buy_now = max(start or 0, reserve or 0) + rng.randint(1, 10_000)

        def cell(amount: int | None) -> str:
            if amount is None:
                return ""
            return f"{amount:,}" if rng.random() < 0.2 else str(amount)

        return cell(start), cell(reserve), cell(buy_now)

    def extras(self) -> tuple[str, str]:
        rng = self.rng
        tags = rng.sample(_TAGS, rng.randint(0, 3))
        return ", ".join(tags) if rng.random() < 0.3 else ",".join(tags), rng.choice(_NOTES)

    def good_row(self, number: int) -> list[str]:
        name = self.fresh()
        self.good.append((number, name))
        shown = "@" + name if self.rng.random() < 0.1 else name
        return [shown, *self.prices(), *self.extras()]

    def bad_row(self, kind: str) -> tuple[list[str], Bad]:
        rng = self.rng
        prices = self.prices()
        extras = self.extras()
        bad = Bad(kind)
        if kind == "invalid characters":
            base = self.fresh()[:13]
            at = rng.randint(1, len(base) - 1)  # inside: a cell's edges are trimmed
            row = [base[:at] + rng.choice("-.! é$") + base[at:], *prices, *extras]
        elif kind == "too long":
            row = [self._letters(16, 40), *prices, *extras]
        elif kind == "reserved name":
            name = "".join(c.upper() if rng.random() < 0.5 else c for c in rng.choice(RESERVED))
            row = [name, *prices, *extras]
        elif kind == "duplicate":
            number, name = rng.choice(self.good)
            row = [rng.choice((name.upper(), name.swapcase(), "@" + name)), *prices, *extras]
            bad = Bad(kind, repeats=number)
        elif kind == "non-numeric amount":
            cells = list(prices)
            cells[rng.randrange(3)] = rng.choice(("ten", "12k", "1.5", "n/a", "5 000", "$40"))
            row = [self.fresh(), *cells, *extras]
        elif kind == "reserve not above starting bid":
            start = rng.randint(2, 5_000)
            reserve = start if rng.random() < 0.5 else rng.randint(1, start - 1)
            row = [self.fresh(), str(start), str(reserve), "", *extras]
        else:
            raise ValueError(kind)
        return row, bad


def make_file(rows: int, seed: int = SEED) -> Plan:
    """``rows`` data rows, ``BAD_SHARE`` of them bad (the kinds in turn, in shuffled places;
    never the first row, so a duplicate always has a good row before it to repeat)."""
    rng = random.Random(seed)
    count = round(rows * BAD_SHARE)
    kinds = [list(KINDS)[i % len(KINDS)] for i in range(count)]
    rng.shuffle(kinds)
    places = dict(zip(sorted(rng.sample(range(1, rows), count)), kinds, strict=True))
    gen = _Generator(rng)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    bad: dict[int, Bad] = {}
    for i in range(rows):
        number = i + 2
        if i in places:
            row, bad[number] = gen.bad_row(places[i])
        else:
            row = gen.good_row(number)
        writer.writerow(row)
    return Plan(out.getvalue().encode("utf-8"), rows, bad)


# -- the import, through the core ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Round:
    seconds: float
    rows: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


async def _import(path: Path, data: bytes) -> tuple[float, ImportReport]:
    bus = MessageBus()
    store = await SqliteStore.open(path, publish=bus.publish)
    try:
        core = build_core(store, bus, clock=SystemClock(), timer=NoReminders(), defaults=SETTINGS)
        english_zipf.cache_clear()  # every handle valued afresh, as in a first import
        gc.collect()
        began = time.perf_counter()
        report = await core.house.stock.import_csv(GUILD, MODERATOR, data)
        seconds = time.perf_counter() - began
    finally:
        await store.close()
    return seconds, report


def check_report(report: ImportReport, plan: Plan, path: Path) -> None:
    """Raise ``ConsistencyError`` unless the report and the table match the plan."""
    problems: list[str] = []
    if (report.added, report.refused) != (plan.expected_added, len(plan.bad)):
        problems.append(
            f"{report.added:,} added and {report.refused:,} refused; expected"
            f" {plan.expected_added:,} and {len(plan.bad):,}"
        )
    if len(report.lines) != plan.rows:
        problems.append(f"{len(report.lines):,} report lines for {plan.rows:,} rows")
    for line in report.lines:
        meant = plan.bad.get(line.number)
        if meant is None:
            if line.result != "added":
                problems.append(f"row {line.number} ({line.handle}) refused: {line.reason}")
            continue
        marker = KINDS[meant.kind]
        if meant.repeats is not None:
            marker = f"the same handle as row {meant.repeats}"
        if line.result != "refused" or marker not in line.reason:
            problems.append(
                f"row {line.number} ({line.handle}, {meant.kind}): {line.result}"
                f" {line.reason!r}, expected a refusal saying {marker!r}"
            )
    report_rows = list(csv.reader(io.StringIO(report.report_csv.decode("utf-8-sig"))))
    if len(report_rows) != plan.rows + 1:
        problems.append(f"the report CSV has {len(report_rows):,} lines for {plan.rows:,} rows")
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute(
            "SELECT COUNT(*) FROM inventory WHERE guild_id = ? AND status = 'available'", (GUILD,)
        ).fetchone()[0]
    finally:
        conn.close()
    if stored != plan.expected_added:
        problems.append(f"the inventory holds {stored:,} rows, {plan.expected_added:,} added")
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ConsistencyError(f"the import is wrong:\n  {shown}{more}")


# -- the baseline: csv + plain sqlite3 -----------------------------------------------------

_PRAGMAS = (  # what SqliteStore.open sets
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
)
_INSERT = (
    "INSERT OR IGNORE INTO inventory (guild_id, handle_key, handle_display, starting_bid,"
    " reserve, buy_now, tags, note, score, added_by, added_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _baseline(path: Path, data: bytes) -> tuple[float, int]:
    """Seconds to parse and insert every row as written; the rows the table then holds
    (the unique index drops the file's duplicates, with OR IGNORE as the import's insert)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in _PRAGMAS:
            conn.execute(pragma)
        migrate(conn)
        gc.collect()
        began = time.perf_counter()
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        next(reader)  # the header
        stamp = time.time_ns() // 1000
        by = MODERATOR.user_id
        values = [
            (GUILD, h.casefold(), h, s or None, r or None, b or None, t, n, 0, by, stamp, stamp)
            for h, s, r, b, t, n in reader
        ]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_INSERT, values)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - began
        stored: int = conn.execute("SELECT COUNT(*) FROM inventory").fetchone()[0]
    finally:
        conn.close()
    return seconds, stored


# -- run -----------------------------------------------------------------------------------


def _median(rounds: Sequence[Round]) -> Round:
    """The round with the median rate (the lower middle one of an even count), as bench.py."""
    ordered = sorted(rounds, key=lambda r: r.rate)
    return ordered[(len(ordered) - 1) // 2]


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class Options:
    rows: int
    rounds: int
    quick: bool


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.import_bench",
        description="Seconds and rows/s of an inventory CSV import through the core, against "
        "csv + sqlite3 executemany.",
    )
    parser.add_argument("--rows", type=int, default=None, help=f"data rows ({MAX_ROWS:,})")
    parser.add_argument("--rounds", type=int, default=None, help="rounds; medians shown (3)")
    parser.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    args = parser.parse_args(argv)
    rows = args.rows if args.rows is not None else (QUICK_ROWS if args.quick else MAX_ROWS)
    rounds = args.rounds if args.rounds is not None else (QUICK_ROUNDS if args.quick else 3)
    if not 20 <= rows <= MAX_ROWS:
        parser.error(f"--rows must be from 20 (one bad row in 20) to {MAX_ROWS:,} (one file)")
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    return Options(rows, rounds, args.quick)


def _run_rounds(plan: Plan, rounds: int) -> tuple[list[Round], list[Round], ImportReport, int]:
    """``rounds`` imports and baselines, alternated, each in fresh files; each import
    checked. Returns their rounds, the last report and the rows the last baseline stored."""
    imports: list[Round] = []
    baselines: list[Round] = []
    report: ImportReport | None = None
    stored = 0
    with tempfile.TemporaryDirectory(prefix="bot-import-") as tmp:
        root = Path(tmp)
        for r in range(1, rounds + 1):
            order = ("import", "baseline") if r % 2 else ("baseline", "import")
            for side in order:
                if side == "import":
                    _progress(f"round {r}: import through the core ...")
                    path = root / f"import-{r}.db"
                    seconds, report = asyncio.run(_import(path, plan.data))
                    check_report(report, plan, path)
                    imports.append(Round(seconds, plan.rows))
                else:
                    _progress(f"round {r}: baseline, csv + sqlite3 executemany ...")
                    seconds, stored = _baseline(root / f"baseline-{r}.db", plan.data)
                    baselines.append(Round(seconds, plan.rows))
    assert report is not None
    return imports, baselines, report, stored


def main(argv: Sequence[str] | None = None) -> int:
    opts = _parse(argv)
    began = time.perf_counter()
    plan = make_file(opts.rows)
    if len(plan.data) > MAX_BYTES:
        raise ConsistencyError(f"the generated file is {len(plan.data):,} bytes, over the limit")
    load_began = time.perf_counter()
    english_zipf("warm")  # wordfreq's first use loads its English list (bot.words.warm)
    load_seconds = time.perf_counter() - load_began

    print_machine()
    print("settings")
    kinds = ", ".join(f"{plan.count(kind):,} {kind}" for kind in KINDS)
    print(f"  {'rows':<10} {plan.rows:,} ({plan.expected_added:,} good, {len(plan.bad):,} bad:")
    print(f"  {'':<10} {kinds})")
    print(f"  {'file':<10} {len(plan.data):,} bytes of CSV, seed {SEED}, platform x")
    print(f"  {'rounds':<10} {opts.rounds}, import and baseline alternated, fresh files each")
    print(f"  {'database':<10} files in a temporary directory, WAL, synchronous=normal")
    print(
        f"  {'wordfreq':<10} loaded before the rounds in {load_seconds:.2f} s (not in the"
        " figures); the word cache cleared before each import"
    )
    print()

    imports, baselines, report, stored = _run_rounds(plan, opts.rounds)

    imp, base = _median(imports), _median(baselines)
    ratio = imp.seconds / base.seconds
    print(f"{'round':<7} {'import s':>9} {'rows/s':>9} {'baseline s':>11} {'rows/s':>10}")
    for r, (i, b) in enumerate(zip(imports, baselines, strict=True), start=1):
        print(f"{r:<7} {i.seconds:>9.3f} {i.rate:>9,.0f} {b.seconds:>11.3f} {b.rate:>10,.0f}")
    print()
    print(
        f"import (Stock.import_csv through the core, median of {opts.rounds}): {imp.rows:,} rows"
        f" in {imp.seconds:.3f} s, {imp.rate:,.0f} rows/s"
        f" (slowest round {max(i.seconds for i in imports):.3f} s)"
    )
    print(
        f"report: {report.added:,} added, {report.refused:,} refused (expected"
        f" {plan.expected_added:,} / {len(plan.bad):,}); report CSV {len(report.report_csv):,}"
        f" bytes ({len(report.lines) + 1:,} lines)"
    )
    print(
        f"baseline (csv module + sqlite3 executemany, one transaction, no validation, median of"
        f" {opts.rounds}): {base.rows:,} rows in {base.seconds:.3f} s, {base.rate:,.0f} rows/s"
        f" ({stored:,} rows stored: only the unique index, with OR IGNORE, turns a row away)"
    )
    print(f"ratio import/baseline: {ratio:.1f} (the import takes {ratio:.1f} times as long)")
    verdict = "met" if imp.seconds < GOAL_SECONDS else "missed"
    print(f"GOAL {verdict}: import {imp.seconds:.3f} s, goal under {GOAL_SECONDS:.0f} s")
    print(f"(run took {time.perf_counter() - began:.1f} s)")
    print()
    print(
        f"RESULT import: {imp.rate:,.0f} rows/s ({imp.rows:,} rows in {imp.seconds:.3f} s, median"
        f" of {opts.rounds}); {report.added:,} added, {report.refused:,} refused; report CSV"
        f" {len(report.report_csv):,} bytes"
    )
    print(f"RESULT import baseline csv + sqlite3 executemany: {base.rate:,.0f} rows/s")
    print(f"RESULT ratio import/baseline: {ratio:.1f}")
    print(
        f"checked in all {opts.rounds} import(s): added and refused counts as planned, exactly"
        " the bad rows refused, each for its own reason, the inventory holding the added rows"
    )
    print("consistency: ok")
    if opts.quick:
        print("(--quick: sizes too small for the figures to mean much)")
    print(f"RESULT import_seconds={imp.seconds:.3f} goal={GOAL_SECONDS:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

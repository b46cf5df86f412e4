"""Inventory CSV import: reading an uploaded file into rows and writing the import report.

Pure: bytes in, rows or bytes out. Validating a handle against the server's platform and
listing it is the use case's job; this module only says whether the file can be read and
whether each cell is well formed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.domain.auction import Terms
from bot.domain.errors import InvalidInput
from bot.domain.money import Currency, IncrementRule
from bot.domain.text import quote

MAX_ROWS = 10_000
MAX_BYTES = 2 * 1024 * 1024
COLUMNS = ("handle", "starting_bid", "reserve", "buy_now", "tags", "note")
MAX_TAGS = 10
MAX_TAG_LENGTH = 24
MAX_NOTE_LENGTH = 200

REPORT_COLUMNS = ("row", "handle", "result", "reason", "score")
ReportResult = Literal["added", "refused"]

_MEGABYTE = 1024 * 1024
_DEFAULT_CURRENCY = Currency()
_EXAMPLE_HEADER = ",".join(COLUMNS)
_AMOUNT = re.compile(r"[0-9]+")
_TAG = re.compile(rf"[a-z0-9_-]{{1,{MAX_TAG_LENGTH}}}")
_TAG_SEPARATORS = re.compile(r"[,;|\s]+")
# Spreadsheet apps read a cell starting with one of these as a formula (or, for TAB and CR,
# strip the character and then read what follows as one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Bidi overrides and isolates (Unicode category Cf) can make a note display as different
# text than it holds; other Cf characters, such as the joiners in emoji, are kept.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row. Cells are the text as written, trimmed; ``''`` when empty or missing."""

    number: int  # the row's number as a spreadsheet shows it: header = 1, first data row = 2
    handle: str
    starting_bid: str
    reserve: str
    buy_now: str
    tags: str
    note: str


@dataclass(frozen=True, slots=True)
class ReportLine:
    """What happened to one row of the import."""

    number: int
    handle: str
    result: ReportResult
    reason: str  # '' when added; else the refusal in words
    score: int | None = None  # valuation score, when known


def read_rows(data: bytes) -> list[CsvRow]:
    """The data rows of an uploaded CSV file, or ``InvalidInput`` saying why the whole file
    cannot be used.

    The file is UTF-8 (a BOM is allowed) with a header row; column names are matched
    case-insensitively after trimming, unknown columns are ignored, and rows whose cells are
    all empty are skipped without changing the numbering of the rows after them.
    """
    text = _decode(data)
    try:
        return _read_records(text)
    except csv.Error as exc:
        raise InvalidInput(
            f"That file isn't a CSV the bot can read ({exc}): export it from your spreadsheet "
            "as CSV and try again."
        ) from exc


def parse_amount(text: str, what: str, max_amount: int) -> int | None:
    """The whole number in ``text`` (``1,000`` and ``1_000`` allowed), ``None`` when empty."""
    raw = text.strip()
    if not raw:
        return None
    digits = raw.replace(",", "").replace("_", "")
    significant = digits.lstrip("0") or "0"
    # Length before int(): spares it a huge string, and anything that long is out of range.
    if (
        not _AMOUNT.fullmatch(digits)
        or len(significant) > len(str(max_amount))
        or not 1 <= int(significant) <= max_amount
    ):
        raise InvalidInput(
            f"{what} must be a whole number from 1 to {max_amount:,}, not '{quote(raw)}'."
        )
    return int(significant)


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags separated by commas, semicolons, ``|`` or spaces: lowercased, each once, in order."""
    tags: list[str] = []
    for word in _TAG_SEPARATORS.split(text.lower()):
        if not word or word in tags:
            continue
        if not _TAG.fullmatch(word):
            raise InvalidInput(
                f"The tag '{quote(word)}' can't be used: a tag is 1 to {MAX_TAG_LENGTH} "
                "letters a-z, digits, _ or -, and tags are separated by commas or spaces."
            )
        tags.append(word)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"There are {len(tags)} tags; at most {MAX_TAGS} are allowed.")
    return tuple(tags)


def clean_note(text: str) -> str:
    """The note on one line: whitespace runs become one space, control characters go."""
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or (unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS)
    )
    note = " ".join(kept.split())
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(
            f"The note is {len(note)} characters long; at most {MAX_NOTE_LENGTH} are allowed."
        )
    return note


def check_prices(
    starting_bid: int | None,
    reserve: int | None,
    buy_now: int | None,
    *,
    currency: Currency = _DEFAULT_CURRENCY,
) -> None:
    """Refuse amounts that contradict each other, by the rules (and in the words) a listing's
    terms use: the reserve above the starting bid, the buy-now price above both.

    With no starting bid (the server's default will apply), only reserve and buy-now price
    are compared.
    """
    if starting_bid is not None:
        # The same check a listing runs, so an imported row can never pass here and then
        # be refused when it is listed; the increment and anti-snipe values play no part.
        Terms(
            starting_bid=starting_bid,
            increment=IncrementRule(),
            reserve=reserve,
            buy_now=buy_now,
        ).check(currency)
        return
    if reserve is not None:
        currency.check(reserve, "reserve")
    if buy_now is not None:
        currency.check(buy_now, "buy-now price")
        if reserve is not None and buy_now <= reserve:
            raise InvalidInput(
                f"The buy-now price must be above the reserve "
                f"(so at least {currency.format(reserve + 1)})."
            )


def write_report(lines: Sequence[ReportLine]) -> bytes:
    """The import report as CSV, UTF-8 with a BOM so spreadsheet apps read it as UTF-8.

    Text cells that a spreadsheet would run as a formula get a leading apostrophe: reasons
    quote what the uploader wrote.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for line in lines:
        writer.writerow(
            (
                line.number,
                _neutralise(line.handle),
                _neutralise(line.result),
                _neutralise(line.reason),
                "" if line.score is None else line.score,
            )
        )
    return out.getvalue().encode("utf-8-sig")


def check_size(size: int) -> None:
    """Refuse a file over ``MAX_BYTES`` (also before downloading it, from its stated size)."""
    if size > MAX_BYTES:
        # Rounded up, so a file just over the limit never reads as "2.0 MB; the limit is 2 MB".
        tenths = -(-size * 10 // _MEGABYTE)
        raise InvalidInput(
            f"The file is {tenths // 10}.{tenths % 10} MB; the limit is "
            f"{MAX_BYTES // _MEGABYTE} MB."
        )


def _decode(data: bytes) -> str:
    check_size(len(data))
    if b"\x00" in data:
        raise InvalidInput(
            "That file isn't a CSV: it holds binary data. Export the sheet as CSV (UTF-8) "
            "and upload that."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"That file isn't a CSV: it isn't UTF-8 text (line {line} is in another encoding, "
            "such as Latin-1). Save it from your spreadsheet as CSV UTF-8 and upload that."
        ) from exc


def _read_records(text: str) -> list[CsvRow]:
    records = _numbered_records(text)
    header = next(records, None)
    if header is None:
        raise InvalidInput(
            f"The file is empty: it needs a header row such as {_EXAMPLE_HEADER}, "
            "then one row per handle."
        )
    positions = _column_positions(header[1])
    rows: list[CsvRow] = []
    for number, cells in records:
        if len(rows) == MAX_ROWS:
            raise InvalidInput(
                f"The file has more than {MAX_ROWS:,} rows; split it into files of at most "
                f"{MAX_ROWS:,} rows each."
            )
        values = {
            name: cells[index].strip() if index < len(cells) else ""
            for name, index in positions.items()
        }
        rows.append(
            CsvRow(
                number=number,
                handle=values["handle"],
                starting_bid=values.get("starting_bid", ""),
                reserve=values.get("reserve", ""),
                buy_now=values.get("buy_now", ""),
                tags=values.get("tags", ""),
                note=values.get("note", ""),
            )
        )
    if not rows:
        raise InvalidInput(
            "The file has a header but no rows: add one row per handle under the header."
        )
    return rows


def _numbered_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with their spreadsheet row numbers.

    A spreadsheet shows each record as one row, even one whose quoted cell spans lines, and
    shows blank lines as empty rows; counting records (blank ones included) matches it.
    """
    # skipinitialspace: a hand-written `ogname, "1,000"` quotes the amount as its writer meant.
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    for number, cells in enumerate(reader, start=1):
        if any(cell.strip() for cell in cells):
            yield number, cells


def _column_positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        if name not in COLUMNS:
            continue  # other columns (a sheet's own notes, prices paid...) are not ours
        if name in positions:
            raise InvalidInput(
                f"The header names the `{name}` column twice (columns {positions[name] + 1} "
                f"and {index + 1}); keep one of them."
            )
        positions[name] = index
    if "handle" not in positions:
        raise InvalidInput(
            "The file has no `handle` column; its header must name the columns, "
            f"e.g. {_EXAMPLE_HEADER}."
        )
    return positions


def _neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell

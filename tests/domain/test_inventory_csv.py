"""Reading an inventory CSV and writing the import report: pure bytes in, rows or bytes out."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import InvalidInput
from bot.domain.inventory_csv import (
    MAX_BYTES,
    MAX_NOTE_LENGTH,
    MAX_ROWS,
    MAX_TAGS,
    CsvRow,
    ReportLine,
    check_prices,
    clean_note,
    parse_amount,
    parse_tags,
    read_rows,
    write_report,
)
from bot.domain.money import Currency

HEADER = "handle,starting_bid,reserve,buy_now,tags,note\r\n"


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


# --- read_rows: what it reads -------------------------------------------------------------


def test_reads_every_column_with_spreadsheet_row_numbers() -> None:
    rows = read_rows(csv_bytes(HEADER + "@ogname,100,500,1000,rare og,first\r\nzed,,,,,\r\n"))
    assert rows == [
        CsvRow(2, "@ogname", "100", "500", "1000", "rare og", "first"),
        CsvRow(3, "zed", "", "", "", "", ""),
    ]


def test_bom_and_no_bom_read_the_same() -> None:
    text = HEADER + "ogname,100,,,,\r\n"
    with_bom = read_rows(text.encode("utf-8-sig"))
    without = read_rows(text.encode("utf-8"))
    assert with_bom == without
    assert with_bom[0].handle == "ogname"  # not "\ufeffhandle" read as an unknown column


def test_header_names_are_case_insensitive_and_trimmed() -> None:
    rows = read_rows(csv_bytes(" Handle , STARTING_BID,Reserve\nogname,10,20\n"))
    assert rows == [CsvRow(2, "ogname", "10", "20", "", "", "")]


def test_only_the_handle_column_is_required_and_order_does_not_matter() -> None:
    rows = read_rows(csv_bytes("note,handle\nhello,ogname\n"))
    assert rows == [CsvRow(2, "ogname", "", "", "", "", "hello")]


def test_unknown_columns_are_ignored() -> None:
    rows = read_rows(csv_bytes("id,handle,paid,note\n7,ogname,99,kept\n"))
    assert rows == [CsvRow(2, "ogname", "", "", "", "", "kept")]


def test_short_rows_leave_missing_cells_empty_and_long_rows_extra_cells_ignored() -> None:
    rows = read_rows(csv_bytes("handle,reserve,note\nshort\nlong,5,n,extra,more\n"))
    assert rows[0] == CsvRow(2, "short", "", "", "", "", "")
    assert rows[1] == CsvRow(3, "long", "", "5", "", "", "n")


def test_blank_lines_are_skipped_but_still_count_as_rows() -> None:
    text = "\n" + HEADER + "\r\nfirst,,,,,\r\n,,,,,\r\n   \r\nsecond,,,,,\r\n\r\n"
    rows = read_rows(csv_bytes(text))
    # As a spreadsheet numbers them: blank line 1, header 2, blank 3, first 4, ...
    assert [(row.number, row.handle) for row in rows] == [(4, "first"), (7, "second")]


def test_a_row_with_cells_but_no_handle_is_kept_for_the_use_case_to_refuse() -> None:
    assert read_rows(csv_bytes("handle,reserve\n,500\n")) == [CsvRow(2, "", "", "500", "", "", "")]


def test_quoted_fields_keep_commas_and_newlines_and_numbering_follows_records() -> None:
    text = 'handle,note\r\nfirst,"one, two"\r\nsecond,"line one\r\nline two"\r\nthird,""""\r\n'
    rows = read_rows(csv_bytes(text))
    assert [(row.number, row.handle, row.note) for row in rows] == [
        (2, "first", "one, two"),
        (3, "second", "line one\r\nline two"),
        (4, "third", '"'),
    ]


def test_cells_are_trimmed() -> None:
    rows = read_rows(csv_bytes('handle,reserve\n  ogname  , "1,000" \n'))
    assert rows == [CsvRow(2, "ogname", "", "1,000", "", "", "")]


def test_bare_carriage_return_line_endings() -> None:
    rows = read_rows(csv_bytes("handle\rone\rtwo\r"))
    assert [(row.number, row.handle) for row in rows] == [(2, "one"), (3, "two")]


def test_exactly_max_rows_is_accepted() -> None:
    rows = read_rows(csv_bytes("handle\n" + "h\n" * MAX_ROWS))
    assert len(rows) == MAX_ROWS
    assert rows[-1].number == MAX_ROWS + 1


def test_exactly_max_bytes_is_accepted() -> None:
    head = b"handle\nogname\n"
    data = head + b"\n" * (MAX_BYTES - len(head))
    assert len(data) == MAX_BYTES
    assert [row.handle for row in read_rows(data)] == ["ogname"]


# --- read_rows: whole-file refusals ---------------------------------------------------------


def refusal(data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_rows(data)
    message = caught.value.message
    assert "\n" not in message  # one clear line
    return message


def test_missing_handle_column() -> None:
    assert refusal(csv_bytes("name,reserve\nogname,5\n")) == (
        "The file has no `handle` column; its header must name the columns, "
        "e.g. handle,starting_bid,reserve,buy_now,tags,note."
    )


def test_a_headerless_file_is_refused_as_missing_the_handle_column() -> None:
    assert "no `handle` column" in refusal(csv_bytes("ogname,100\nother,200\n"))


def test_duplicated_column() -> None:
    message = refusal(csv_bytes("handle,reserve,Reserve \nogname,1,2\n"))
    assert message == (
        "The header names the `reserve` column twice (columns 2 and 3); keep one of them."
    )


def test_duplicated_unknown_or_empty_columns_do_no_harm() -> None:
    rows = read_rows(csv_bytes("handle,,,x,x\nogname,,,1,2\n"))
    assert [row.handle for row in rows] == ["ogname"]


def test_too_many_rows() -> None:
    assert refusal(csv_bytes("handle\n" + "h\n" * (MAX_ROWS + 1))) == (
        "The file has more than 10,000 rows; split it into files of at most 10,000 rows each."
    )


def test_too_large() -> None:
    assert refusal(b"handle\n" + b"x" * int(3.05 * 1024 * 1024)) == (
        "The file is 3.1 MB; the limit is 2 MB."
    )


def test_just_over_the_limit_does_not_read_as_the_limit() -> None:
    assert refusal(b"h" * (MAX_BYTES + 1)) == "The file is 2.1 MB; the limit is 2 MB."


def test_binary_file() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    assert refusal(png) == (
        "That file isn't a CSV: it holds binary data. Export the sheet as CSV (UTF-8) "
        "and upload that."
    )


def test_latin1_bytes_are_refused_naming_the_line() -> None:
    data = (HEADER + "ogname,,,,,\ncafé,,,,,\n").encode("latin-1")
    assert refusal(data) == (
        "That file isn't a CSV: it isn't UTF-8 text (line 3 is in another encoding, such as "
        "Latin-1). Save it from your spreadsheet as CSV UTF-8 and upload that."
    )


def test_latin1_after_a_bom_still_names_the_right_line() -> None:
    assert "(line 2 " in refusal(b"\xef\xbb\xbfhandle\n\xe9\n")


def test_csv_error_is_a_refusal() -> None:
    huge_cell = "handle\n" + "x" * (csv.field_size_limit() + 1) + "\n"
    message = refusal(csv_bytes(huge_cell))
    assert message.startswith("That file isn't a CSV the bot can read (")
    assert message.endswith("export it from your spreadsheet as CSV and try again.")


def test_empty_file() -> None:
    for data in (b"", b"\xef\xbb\xbf", b"\n\r\n  \n,,,\n"):
        assert refusal(data).startswith("The file is empty: it needs a header row such as ")


def test_header_without_rows() -> None:
    assert refusal(csv_bytes(HEADER + "\r\n,,,,,\r\n")) == (
        "The file has a header but no rows: add one row per handle under the header."
    )


def outcome(data: bytes) -> list[CsvRow] | str:
    """The rows, or the refusal's message; any other exception fails the test."""
    try:
        return read_rows(data)
    except InvalidInput as exc:
        return exc.message


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_invalid_input(data: bytes) -> None:
    result = outcome(data)
    if isinstance(result, str):
        assert result
        assert "\n" not in result
    else:
        assert 1 <= len(result) <= MAX_ROWS
        assert all(row.number >= 2 for row in result)


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from('ab,"\r\n \ufeff\x00;é'), max_size=200))
def test_csv_shaped_text_raises_nothing_but_invalid_input(text: str) -> None:
    result = outcome(("handle," + text).encode("utf-8"))
    assert isinstance(result, (list, str))


# --- parse_amount ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("", None),
        ("   ", None),
        ("1", 1),
        ("1000", 1000),
        ("1,000", 1000),
        ("1_000", 1000),
        (" 1,000,000 ", 1_000_000),
        ("007", 7),
    ],
)
def test_parse_amount_reads(text: str, amount: int | None) -> None:
    assert parse_amount(text, "reserve", 1_000_000) == amount


@pytest.mark.parametrize(
    "text", ["abc", "0", "-5", "+5", "1.5", "1000.00", "1e3", "1,000,001", "9" * 5000, "0" * 5000]
)
def test_parse_amount_refuses_naming_what_and_the_value(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(text, "reserve", 1_000_000)
    assert caught.value.message.startswith(
        "reserve must be a whole number from 1 to 1,000,000, not '"
    )


def test_parse_amount_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount("abc", "reserve", 1_000_000)
    assert caught.value.message == "reserve must be a whole number from 1 to 1,000,000, not 'abc'."


def test_parse_amount_shortens_a_long_value_in_the_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount("x" * 500, "buy_now", 10)
    assert len(caught.value.message) < 120


def test_parse_amount_accepts_the_maximum() -> None:
    assert parse_amount("1,000,000", "reserve", 1_000_000) == 1_000_000


# --- parse_tags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("", ()),
        ("   ", ()),
        ("rare", ("rare",)),
        ("Rare, OG;short|x  y", ("rare", "og", "short", "x", "y")),
        ("og og OG rare og", ("og", "rare")),
        (",,;| rare ,;", ("rare",)),
        ("two-words snake_case 4l", ("two-words", "snake_case", "4l")),
        ("a" * 24, ("a" * 24,)),
    ],
)
def test_parse_tags_reads(text: str, tags: tuple[str, ...]) -> None:
    assert parse_tags(text) == tags


@pytest.mark.parametrize("text", ["rare!", "a" * 25, "café", "og #1", "ok,b@d"])
def test_parse_tags_refuses_a_bad_tag(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^The tag '.+' can't be used: a tag is 1 to 24 "):
        parse_tags(text)


def test_parse_tags_allows_at_most_max_tags_after_dedupe() -> None:
    ten = " ".join(f"t{i}" for i in range(MAX_TAGS))
    assert len(parse_tags(ten + " t0 T1")) == MAX_TAGS
    with pytest.raises(InvalidInput) as caught:
        parse_tags(ten + " t10 t11")
    assert caught.value.message == "There are 12 tags; at most 10 are allowed."


# --- clean_note -----------------------------------------------------------------------------


def test_clean_note_collapses_whitespace_and_drops_control_characters() -> None:
    assert clean_note("  two\r\n lines\tand\x07 a\x1b[31mbell\u202e ") == "two lines and a[31mbell"


def test_clean_note_keeps_ordinary_text_and_emoji() -> None:
    note = "Bought 2019 — très rare 👨‍👩‍👧"
    assert clean_note(note) == note


def test_clean_note_length_is_counted_after_cleaning() -> None:
    assert clean_note("a" * MAX_NOTE_LENGTH + "   \n") == "a" * MAX_NOTE_LENGTH
    with pytest.raises(InvalidInput) as caught:
        clean_note("a" * (MAX_NOTE_LENGTH + 1))
    assert caught.value.message == "The note is 201 characters long; at most 200 are allowed."


# --- check_prices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "reserve", "buy_now"),
    [
        (None, None, None),
        (100, None, None),
        (100, 101, None),
        (100, None, 101),
        (100, 200, 201),
        (None, 200, 201),
        (None, None, 5),
    ],
)
def test_check_prices_accepts(start: int | None, reserve: int | None, buy_now: int | None) -> None:
    check_prices(start, reserve, buy_now)


@pytest.mark.parametrize(
    ("start", "reserve", "buy_now", "message"),
    [
        (
            100,
            100,
            None,
            "The reserve (100 credits) must be above the starting bid (100 credits), "
            "or it would have no effect.",
        ),
        (
            100,
            None,
            100,
            "The buy-now price must be above the starting bid and the reserve "
            "(so at least 101 credits).",
        ),
        (
            100,
            200,
            200,
            "The buy-now price must be above the starting bid and the reserve "
            "(so at least 201 credits).",
        ),
        (None, 200, 150, "The buy-now price must be above the reserve (so at least 201 credits)."),
    ],
)
def test_check_prices_refuses_like_the_listing_terms(
    start: int | None, reserve: int | None, buy_now: int | None, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_prices(start, reserve, buy_now)
    assert caught.value.message == message


def test_check_prices_uses_the_servers_currency() -> None:
    gems = Currency(name="gems", max_amount=1000)
    with pytest.raises(InvalidInput, match="at least 11 gems"):
        check_prices(None, 10, 10, currency=gems)
    with pytest.raises(InvalidInput, match="between 1 and 1,000 gems"):
        check_prices(5, None, 5000, currency=gems)


# --- write_report ---------------------------------------------------------------------------


def read_report(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_report_is_utf8_with_bom_and_a_header() -> None:
    data = write_report([])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data == b"\xef\xbb\xbfrow,handle,result,reason,score\r\n"


def test_report_round_trip() -> None:
    lines = [
        ReportLine(2, "ogname", "added", "", score=87),
        ReportLine(3, "bad-name", "refused", 'Not valid: "bad-name", a, b\nsecond line'),
        ReportLine(5, "café", "refused", "Reserved.", score=0),
    ]
    assert read_report(write_report(lines)) == [
        ["row", "handle", "result", "reason", "score"],
        ["2", "ogname", "added", "", "87"],
        ["3", "bad-name", "refused", 'Not valid: "bad-name", a, b\nsecond line', ""],
        ["5", "café", "refused", "Reserved.", "0"],
    ]


@pytest.mark.parametrize(
    "dangerous",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"],
)
def test_report_neutralises_formula_injection(dangerous: str) -> None:
    data = write_report([ReportLine(2, dangerous, "refused", dangerous)])
    row = read_report(data)[1]
    assert row[1] == row[3] == "'" + dangerous


def test_report_leaves_ordinary_text_alone() -> None:
    row = read_report(write_report([ReportLine(2, "og", "refused", "A = B, 'quoted'")]))[1]
    assert row == ["2", "og", "refused", "A = B, 'quoted'", ""]

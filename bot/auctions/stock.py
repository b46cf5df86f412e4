"""The inventory: moderators import handles in bulk, look them up with valuation hints, and
withdraw them. Every call checks the member's permission itself, whatever Discord allowed.

An import is one transaction: its accepted rows are all added, or (a crash, a failure)
none of them. Rows are checked before it (the platform rule, names, amounts, duplicates in
the file) off the event loop, then against the database inside it (already in the
inventory, up for auction, sold)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.auctions.common import audit, reason
from bot.auctions.listing import brand_refusal, cancel_relist, open_refusal, sold_refusal
from bot.auctions.server_settings import SettingsBook
from bot.auctions.settlement import due_refusal
from bot.clock import Clock
from bot.domain.access import Actor
from bot.domain.auction import Terms
from bot.domain.errors import AuctionError, AuctionNotFound, InvalidInput
from bot.domain.handles import Handle, handle_key, normalise
from bot.domain.inventory import InventoryItem, ItemStatus, NewItem, StockPrices
from bot.domain.inventory_csv import (
    CsvRow,
    ReportLine,
    ReportResult,
    check_prices,
    clean_note,
    parse_amount,
    parse_tags,
    read_rows,
    write_report,
)
from bot.domain.money import Currency
from bot.domain.records import Sale
from bot.domain.settings import ServerSettings
from bot.domain.text import quote
from bot.domain.valuation import (
    Suggestion,
    Valuation,
    brand_match,
    length_class_of,
    suggest_starting_bid,
    value_handle,
)
from bot.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

Zipf = Callable[[str], float]
Sort = Literal["value", "length", "name"]
PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    refused: int
    lines: list[ReportLine]
    report_csv: bytes
    overridden: list[str]  # brand handles added on the moderator's override


@dataclass(frozen=True, slots=True)
class Appraisal:
    handle: Handle
    valuation: Valuation
    suggestion: Suggestion


@dataclass(frozen=True, slots=True)
class ItemDetails:
    item: InventoryItem
    appraisal: Appraisal
    currency_name: str


@dataclass(frozen=True, slots=True)
class StockPage:
    items: list[InventoryItem]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class _Checked:
    number: int
    written: str  # the handle as the file has it
    item: NewItem | None
    refusal: str
    brand: str | None = None  # the brand it matches, added on the moderator's override


def _check_row(
    row: CsvRow,
    settings: ServerSettings,
    seen: dict[str, int],
    zipf: Zipf,
    *,
    override: bool,
) -> _Checked:
    """One row as ``/auctioneer start`` would check its options (but the database)."""
    try:
        handle = settings.handles.parse(row.handle)
        if handle.key in seen:
            return _Checked(
                row.number, row.handle, None, f"the same handle as row {seen[handle.key]}"
            )
        seen[handle.key] = row.number
        brand = brand_match(handle.key, settings.handles.brands)
        if brand is not None and not override:
            return _Checked(row.number, row.handle, None, brand_refusal(handle, brand))
        top = settings.currency.max_amount
        prices = StockPrices(
            parse_amount(row.starting_bid, "starting_bid", top),
            parse_amount(row.reserve, "reserve", top),
            parse_amount(row.buy_now, "buy_now", top),
        )
        check_prices(
            prices.starting_bid, prices.reserve, prices.buy_now, currency=settings.currency
        )
        if prices.starting_bid is not None:  # the same terms the auction would get
            Terms(
                starting_bid=prices.starting_bid,
                increment=settings.rules.increment,
                reserve=prices.reserve,
                buy_now=prices.buy_now,
            ).check(settings.currency)
        tags, note = parse_tags(row.tags), clean_note(row.note)
    except AuctionError as exc:
        return _Checked(row.number, row.handle, None, exc.message)
    score = value_handle(handle.key, brands=settings.handles.brands, zipf=zipf).score
    return _Checked(row.number, row.handle, NewItem(handle, prices, tags, note, score), "", brand)


def _check_rows(
    rows: list[CsvRow], settings: ServerSettings, zipf: Zipf, *, override: bool
) -> list[_Checked]:
    seen: dict[str, int] = {}
    return [_check_row(r, settings, seen, zipf, override=override) for r in rows]


class Stock:
    def __init__(self, store: Store, clock: Clock, settings: SettingsBook, zipf: Zipf) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._zipf = zipf

    async def import_csv(
        self,
        guild_id: int,
        actor: Actor,
        data: bytes,
        *,
        override: bool = False,
        why: str | None = None,
        source: str = "a file",
    ) -> ImportReport:
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        text = reason(why, required=False)
        if override and not text:
            raise InvalidInput(
                "An import with override:true needs a reason: it goes into the audit log."
            )
        rows = read_rows(data)  # a file that isn't a CSV of handles is refused whole
        # Parsing and valuing 10,000 rows takes a while: off the event loop.
        checked = await asyncio.to_thread(
            _check_rows, rows, settings, self._zipf, override=override
        )

        def transaction(uow: UnitOfWork) -> tuple[list[ReportLine], list[str]]:
            now = self._clock.now()
            candidates = [c for c in checked if c.item is not None]
            keys = [c.item.handle.key for c in candidates if c.item is not None]
            held = uow.inventory.keys_in(guild_id, keys)
            verdict: dict[int, str] = {}
            accepted: list[_Checked] = []
            for c in candidates:
                assert c.item is not None
                handle = c.item.handle
                if handle.key in held:
                    verdict[c.number] = f"{handle} is already in the inventory."
                elif (sale := uow.sales.current(guild_id, handle.key)) is not None:
                    verdict[c.number] = sold_refusal(handle, sale, settings.currency)
                elif uow.auctions.find_open(guild_id, handle.key) is not None:
                    verdict[c.number] = open_refusal(handle)
                elif (settling := due_refusal(uow, guild_id, handle.key, str(handle))) is not None:
                    verdict[c.number] = settling
                else:
                    accepted.append(c)
            items = [c.item for c in accepted if c.item is not None]
            added = uow.inventory.add_many(guild_id, items, by=actor.user_id, at=now)
            for c, stored in zip(accepted, added, strict=True):
                if stored is None:  # the file's own duplicates were caught before
                    verdict[c.number] = "already in the inventory."
            lines: list[ReportLine] = []
            overridden: list[str] = []
            for c in checked:
                refusal = c.refusal or verdict.get(c.number, "")
                shown = c.item.handle.display if c.item is not None else c.written
                score = c.item.score if c.item is not None else None
                outcome: ReportResult = "refused" if refusal else "added"
                lines.append(ReportLine(c.number, shown, outcome, refusal, score))
                if not refusal and c.item is not None and c.brand is not None:
                    overridden.append(str(c.item.handle))
            count = sum(1 for line in lines if line.result == "added")
            detail = f"imported {count} handle(s) from {source}, {len(lines) - count} refused"
            if overridden:
                detail += f"; brand override for {', '.join(overridden[:20])}"
                detail += f" and {len(overridden) - 20} more" if len(overridden) > 20 else ""
            if count:
                audit(
                    uow, guild_id=guild_id, auction_id=None, handle="", actor=actor,
                    action="import", detail=detail, reason=text, now=now,
                )  # fmt: skip
            return lines, overridden

        lines, overridden = await self._store.write(transaction)
        added = sum(1 for line in lines if line.result == "added")
        log.info(
            "guild %s: %s imported %d handle(s), %d refused",
            guild_id, actor.user_id, added, len(lines) - added,
        )  # fmt: skip
        return ImportReport(added, len(lines) - added, lines, write_report(lines), overridden)

    async def appraise(self, guild_id: int, actor: Actor, handle: str) -> Appraisal:
        """The valuation and a suggested starting bid, for moderators only."""
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        return await self._appraise(guild_id, settings, settings.handles.parse(handle))

    async def _appraise(self, guild_id: int, settings: ServerSettings, handle: Handle) -> Appraisal:
        valuation = value_handle(handle.key, brands=settings.handles.brands, zipf=self._zipf)
        suggestion = await self._store.read(
            lambda uow: suggest(uow, guild_id, handle, valuation, settings)
        )
        return Appraisal(handle, valuation, suggestion)

    async def show(self, guild_id: int, actor: Actor, handle: str) -> ItemDetails:
        settings = await self._settings.for_guild(guild_id)
        settings.access.require_moderator(actor)
        key = handle_key(handle)
        item = await self._store.read(lambda uow: uow.inventory.find(guild_id, key))
        if item is None:
            raise not_in_inventory(handle)
        appraisal = await self._appraise(guild_id, settings, item.handle)
        return ItemDetails(item, appraisal, settings.currency.name)

    async def page(
        self,
        guild_id: int,
        actor: Actor,
        *,
        status: ItemStatus | None = None,
        search: str = "",
        tag: str | None = None,
        sort: Sort = "value",
        page: int = 0,
        page_size: int = PAGE_SIZE,
    ) -> StockPage:
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        if sort not in ("value", "length", "name"):
            raise InvalidInput("Sort by value, length or name.")
        containing = handle_key(search)[:64]
        tag_key = tag.strip().lower()[:24] if tag else None
        page = max(page, 0)

        def query(at: int) -> Callable[[UnitOfWork], tuple[list[InventoryItem], int]]:
            return lambda uow: uow.inventory.page(
                guild_id, status=status, containing=containing, tag=tag_key, sort=sort,
                offset=at * page_size, limit=page_size,
            )  # fmt: skip

        items, total = await self._store.read(query(page))
        pages = max((total + page_size - 1) // page_size, 1)
        if page >= pages and total:  # the list shrank since the button was drawn
            page = pages - 1
            items, total = await self._store.read(query(page))
        return StockPage(items, total, page, pages)

    async def sold_page(
        self, guild_id: int, *, member_id: int | None, page: int, page_size: int = PAGE_SIZE
    ) -> SoldPage:
        """The sold registry, newest first (everyone may read it)."""
        page = max(page, 0)

        def query(at: int) -> Callable[[UnitOfWork], tuple[list[Sale], int]]:
            return lambda uow: uow.sales.holdings(
                guild_id, winner_id=member_id, offset=at * page_size, limit=page_size
            )

        sales, total = await self._store.read(query(page))
        pages = max((total + page_size - 1) // page_size, 1)
        if page >= pages and total:
            page = pages - 1
            sales, total = await self._store.read(query(page))
        return SoldPage(sales, total, page, pages)

    async def owner(self, guild_id: int, handle: str) -> tuple[Sale, Currency]:
        """Who holds a sold handle, with the currency of the auction it was sold in."""
        key = handle_key(handle)

        def query(uow: UnitOfWork) -> tuple[Sale, Currency] | None:
            sale = uow.sales.current(guild_id, key)
            if sale is None:
                return None
            return sale, uow.auctions.get(sale.auction_id).currency

        found = await self._store.read(query)
        if found is None:
            raise AuctionNotFound(
                f"`@{quote(normalise(handle))}` is not held by anyone on this server: "
                "`/handles sold` lists the handles that are."
            )
        return found

    async def remove(self, guild_id: int, actor: Actor, handle: str, why: str) -> InventoryItem:
        """Withdraw an available handle from the inventory (audited)."""
        (await self._settings.for_guild(guild_id)).access.require_moderator(actor)
        text = reason(why, required=True) or ""
        key = handle_key(handle)

        def transaction(uow: UnitOfWork) -> InventoryItem:
            now = self._clock.now()
            item = uow.inventory.find(guild_id, key)
            if item is None:
                raise not_in_inventory(handle)
            item = cancel_relist(uow, item, now)  # a handle waiting to be relisted can go
            if not uow.inventory.withdraw(item.id, by=actor.user_id, reason=text, at=now):
                raise InvalidInput(
                    f"{item.handle} is {item.status.value.replace('_', ' ')}: only an available "
                    "handle (or one waiting to be relisted) can be removed; cancel its drop or "
                    "auction first."
                )
            audit(
                uow, guild_id=guild_id, auction_id=None, handle=item.handle.display,
                actor=actor, action="inventory-remove", detail=f"removed {item.handle}",
                reason=text, now=now,
            )  # fmt: skip
            return item

        return await self._store.write(transaction)


@dataclass(frozen=True, slots=True)
class SoldPage:
    sales: list[Sale]
    total: int
    page: int
    pages: int


def suggest(
    uow: UnitOfWork, guild_id: int, handle: Handle, valuation: Valuation, settings: ServerSettings
) -> Suggestion:
    """A starting bid for ``handle``: from the server's sales of its length class, or scaled
    from the server's base price."""
    length = len(handle.key)
    cls = length_class_of(length)
    return suggest_starting_bid(
        valuation,
        length,
        sold_prices=uow.sales.prices_by_length(guild_id, cls.shortest, cls.longest),
        base_price=settings.stock.base_price,
        min_sales=settings.stock.min_sales,
        max_amount=settings.currency.max_amount,
    )


def not_in_inventory(handle: str) -> AuctionNotFound:
    return AuctionNotFound(
        f"`@{quote(normalise(handle))}` is not in this server's inventory. "
        "`/inventory list` shows what is."
    )

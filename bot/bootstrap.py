"""Builds the core: the use cases over a store, and who reacts to which event.

The Discord side (``bot/interface/wiring.py``) adds its own subscribers: the post editor and
the outbox dispatcher. Tests and the benchmark build the same core without Discord.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.auctions.bidding import Bidding
from bot.auctions.closing import Closing
from bot.auctions.drops import Drops
from bot.auctions.house import AuctionHouse
from bot.auctions.members import MemberSettings
from bot.auctions.moderation import Moderation
from bot.auctions.posts import PostRecords
from bot.auctions.queries import Queries
from bot.auctions.report import Reports
from bot.auctions.restock import Restock
from bot.auctions.server_settings import ServerSettingsAdmin, SettingsBook
from bot.auctions.settlement import Settling, StepTimer
from bot.auctions.starts import Starter, StartTimer
from bot.auctions.stock import Stock
from bot.auctions.wallet import Wallets
from bot.clock import Clock
from bot.domain.events import (
    AuctionClosed,
    AuctionExtended,
    AuctionOpened,
    AuctionStillRunning,
    SettingsChanged,
    StartScheduled,
    StartSettled,
    StepScheduled,
    StepSettled,
)
from bot.domain.settings import ServerSettings
from bot.memory import BotMemory
from bot.messagebus import MessageBus
from bot.ports import CloseTimer
from bot.unit_of_work import Store
from bot.words import english_zipf


@dataclass(frozen=True, slots=True)
class Core:
    store: Store
    bus: MessageBus
    house: AuctionHouse
    memory: BotMemory
    clock: Clock


def build_core(
    store: Store,
    bus: MessageBus,
    *,
    clock: Clock,
    timer: CloseTimer,
    defaults: ServerSettings,
    start_timer: StartTimer | None = None,
    step_timer: StepTimer | None = None,
    zipf: Callable[[str], float] = english_zipf,
    settings_keep_for: float | None = None,
) -> Core:
    """``bus`` must be the one ``store`` publishes its committed events to. Without a
    ``start_timer``, scheduled starts are left to the sweep (at most a minute late); likewise
    settlement deadlines without a ``step_timer``.
    ``settings_keep_for``: where other processes share the store, how many seconds a
    server's cached settings are trusted (they cannot tell this process of their changes)."""
    book = SettingsBook(store, defaults, keep_for=settings_keep_for)
    closing = Closing(store, clock, timer, Restock(defaults))
    starter = Starter(store, clock, book, timer, start_timer)
    settling = Settling(store, clock, book, timer, step_timer)
    house = AuctionHouse(
        moderation=Moderation(store, clock, book, zipf),
        bidding=Bidding(store, clock, book),
        closing=closing,
        queries=Queries(store),
        members=MemberSettings(store),
        posts=PostRecords(store, clock),
        settings=book,
        admin=ServerSettingsAdmin(store, clock, book),
        stock=Stock(store, clock, book, zipf),
        drops=Drops(store, clock, book),
        starter=starter,
        settling=settling,
        reports=Reports(store, clock, book),
        wallets=Wallets(store, clock, book),
    )
    # The close timer follows each auction's end; the database decides, the timer reminds.
    bus.subscribe(AuctionOpened, lambda e: closing.remind(e.auction_id, e.ends_at))
    bus.subscribe(AuctionExtended, lambda e: closing.remind(e.auction_id, e.ends_at))
    bus.subscribe(AuctionStillRunning, lambda e: closing.remind(e.auction_id, e.ends_at))
    bus.subscribe(AuctionClosed, lambda e: closing.forget(e.auction_id))
    bus.subscribe(SettingsChanged, book.on_change)
    # Scheduled starts (drop slots, relists) likewise: the database decides, the timer reminds.
    bus.subscribe(StartScheduled, starter.on_scheduled)
    bus.subscribe(StartSettled, starter.on_settled)
    # Pledge settlements' deadlines likewise.
    bus.subscribe(StepScheduled, settling.on_scheduled)
    bus.subscribe(StepSettled, settling.on_settled)
    return Core(store=store, bus=bus, house=house, memory=BotMemory(store, clock), clock=clock)

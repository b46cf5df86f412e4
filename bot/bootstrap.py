"""Builds the core: the use cases over a store, and who reacts to which event.

The Discord side (``bot/interface/wiring.py``) adds its own subscribers: the post editor and
the outbox dispatcher. Tests and the benchmark build the same core without Discord.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.auctions.bidding import Bidding
from bot.auctions.closing import Closing
from bot.auctions.house import AuctionHouse
from bot.auctions.members import MemberSettings
from bot.auctions.moderation import Moderation
from bot.auctions.posts import PostRecords
from bot.auctions.queries import Queries
from bot.auctions.server_settings import ServerSettingsAdmin, SettingsBook
from bot.clock import Clock
from bot.domain.events import (
    AuctionClosed,
    AuctionExtended,
    AuctionOpened,
    AuctionStillRunning,
    SettingsChanged,
)
from bot.domain.settings import ServerSettings
from bot.memory import BotMemory
from bot.messagebus import MessageBus
from bot.ports import CloseTimer
from bot.unit_of_work import Store


@dataclass(frozen=True, slots=True)
class Core:
    store: Store
    bus: MessageBus
    house: AuctionHouse
    memory: BotMemory
    clock: Clock


def build_core(
    store: Store, bus: MessageBus, *, clock: Clock, timer: CloseTimer, defaults: ServerSettings
) -> Core:
    """``bus`` must be the one ``store`` publishes its committed events to."""
    book = SettingsBook(store, defaults)
    closing = Closing(store, clock, timer)
    house = AuctionHouse(
        moderation=Moderation(store, clock, book),
        bidding=Bidding(store, clock, book),
        closing=closing,
        queries=Queries(store),
        members=MemberSettings(store),
        posts=PostRecords(store, clock),
        settings=book,
        admin=ServerSettingsAdmin(store, clock, book),
    )
    # The close timer follows each auction's end; the database decides, the timer reminds.
    bus.subscribe(AuctionOpened, lambda e: closing.remind(e.auction_id, e.ends_at))
    bus.subscribe(AuctionExtended, lambda e: closing.remind(e.auction_id, e.ends_at))
    bus.subscribe(AuctionStillRunning, lambda e: closing.remind(e.auction_id, e.ends_at))
    bus.subscribe(AuctionClosed, lambda e: closing.forget(e.auction_id))
    bus.subscribe(SettingsChanged, book.on_change)
    return Core(store=store, bus=bus, house=house, memory=BotMemory(store, clock), clock=clock)

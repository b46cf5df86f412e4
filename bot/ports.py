"""The ports: what the use cases need from a store, a scheduler and Discord, as protocols that
speak in domain types. ``bot/storage/sqlite/`` implements the store's; the tests use the same
adapter on a real file, and a PostgreSQL adapter can sit behind the same protocols.

Repository methods run inside one transaction (the unit of work that hands them out) and
are synchronous: a store runs the whole transaction function on its own worker, so a use
case never awaits between reading a row and writing it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.domain.auction import Auction, BidDecision, Outcome, Standing, Status, Terms
from bot.domain.handles import Handle
from bot.domain.inventory import (
    Drop,
    InventoryItem,
    ItemStatus,
    NewItem,
    ScheduledStart,
)
from bot.domain.ledger import Account, Balance, Entry, Mismatch, Posting
from bot.domain.messages import MessageKind, OutboxCounts, OutboxMessage
from bot.domain.money import Currency
from bot.domain.payments import MoneyMode
from bot.domain.records import AuditEntry, Sale, StoredBid
from bot.domain.report import ClosedGroup, SaleRow
from bot.domain.settlement import (
    MemberStanding,
    Settlement,
    SettlementStatus,
    SettlementStep,
    StepState,
)

T = TypeVar("T")


class AuctionRepository(Protocol):
    def add(
        self,
        *,
        guild_id: int,
        handle: Handle,
        platform: str,
        terms: Terms,
        currency: Currency,
        opened_by: int,
        opened_at: datetime,
        ends_at: datetime,
        channel_id: int | None,
        relist_number: int = 0,
        relisted_from: int | None = None,
        money: MoneyMode = MoneyMode.NONE,
    ) -> Auction:
        """Insert an open auction. Raises ``HandleUnavailable`` if the handle already has an
        open auction on the server (also when another transaction won that race)."""
        ...

    def get(self, auction_id: int) -> Auction:
        """Raises ``AuctionNotFound`` for an unknown id."""
        ...

    def find_open(self, guild_id: int, handle_key: str) -> Auction | None: ...

    def find_latest(self, guild_id: int, handle_key: str) -> Auction | None:
        """The open auction for the handle, else its most recent one."""
        ...

    def list_open(
        self,
        guild_id: int | None = None,
        *,
        containing: str = "",
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Auction]:
        """Open auctions soonest ending first; every server's when ``guild_id`` is None; only
        those whose handle key contains ``containing``; ``limit`` of them from ``offset``."""
        ...

    def count_open(self, guild_id: int) -> int: ...

    def apply_bid(
        self,
        auction: Auction,
        decision: BidDecision,
        *,
        bidder_id: int,
        amount: int,
        maximum: int,
        placed_at: datetime,
    ) -> tuple[int, Auction]:
        """Append the bid and move the auction to the decided state. Returns the bid's id
        and the auction as the bid leaves it."""
        ...

    def update_standing(self, auction_id: int, standing: Standing) -> None: ...

    def set_end(self, auction_id: int, ends_at: datetime) -> None: ...

    def finish(self, auction_id: int, *, status: Status, outcome: Outcome, at: datetime) -> bool:
        """Close an open auction; False if it was no longer open (closing is idempotent)."""
        ...

    def set_post(self, auction_id: int, channel_id: int, message_id: int) -> None: ...

    def mark_post_current(self, auction_id: int, revision: int) -> None:
        """The post now shows the auction at ``revision`` (or later)."""
        ...

    def posts_behind(self) -> list[int]:
        """Auctions whose post shows an older revision than theirs (an edit was missed)."""
        ...

    def ending_by(self, until: datetime | None) -> list[tuple[int, datetime]]:
        """Ids and end times of open auctions ending by ``until`` (all if None), soonest first."""
        ...

    def mark_post_lost(self, auction_id: int, at: datetime) -> bool:
        """Record that the post cannot be shown any more; False if it already was."""
        ...

    def open_with_live_bids_by(self, guild_id: int, bidder_id: int) -> list[int]:
        """The server's open auctions on which the member has a bid not voided, by id."""
        ...

    def bids(
        self, auction_id: int, *, newest_first: bool = False, limit: int | None = None
    ) -> list[StoredBid]: ...

    def void_bids(
        self,
        auction_id: int,
        bidder_id: int,
        *,
        by: int,
        reason: str,
        at: datetime,
        bid_id: int | None = None,
    ) -> int:
        """Mark the member's live bids (or only ``bid_id``) voided. Returns how many."""
        ...


class SaleRegistry(Protocol):
    def record(self, sale: Sale) -> None: ...

    def current(self, guild_id: int, handle_key: str) -> Sale | None:
        """The sale that holds the handle now (None if never sold, or released)."""
        ...

    def release(
        self, guild_id: int, handle_key: str, *, by: int, reason: str, at: datetime
    ) -> bool: ...

    def holdings(
        self, guild_id: int, *, winner_id: int | None, offset: int, limit: int
    ) -> tuple[list[Sale], int]:
        """Handles held now (newest sale first), only ``winner_id``'s if given; and how many."""
        ...

    def prices_by_length(self, guild_id: int, low: int, high: int | None) -> list[int]:
        """Prices of the server's sales of handles ``low``..``high`` characters long."""
        ...


class InventoryRepository(Protocol):
    def add_many(
        self, guild_id: int, items: list[NewItem], *, by: int, at: datetime
    ) -> list[InventoryItem | None]:
        """Add each item; None for one whose handle is already in the inventory."""
        ...

    def add(self, guild_id: int, item: NewItem, *, by: int, at: datetime) -> InventoryItem:
        """Raises ``HandleUnavailable`` if the handle is already in the inventory."""
        ...

    def find(self, guild_id: int, handle_key: str) -> InventoryItem | None:
        """The handle's entry in any state but withdrawn."""
        ...

    def get(self, item_id: int) -> InventoryItem: ...

    def keys_in(self, guild_id: int, keys: list[str]) -> set[str]:
        """Which of ``keys`` the inventory holds (in any state but withdrawn)."""
        ...

    def page(
        self,
        guild_id: int,
        *,
        status: ItemStatus | None,
        containing: str,
        tag: str | None,
        sort: str,
        offset: int,
        limit: int,
    ) -> tuple[list[InventoryItem], int]:
        """Items (withdrawn ones only when ``status`` asks for them) sorted by ``sort``
        (value, length or name), and how many match."""
        ...

    def set_status(
        self, item_id: int, status: ItemStatus, *, at: datetime, auction_id: int | None = None
    ) -> None: ...

    def set_relists(self, item_id: int, relists: int, base: int | None) -> None: ...

    def withdraw(self, item_id: int, *, by: int, reason: str, at: datetime) -> bool: ...


class ScheduleRepository(Protocol):
    """Drops and the scheduled starts of inventory handles."""

    def add_drop(
        self,
        *,
        guild_id: int,
        created_by: int,
        created_at: datetime,
        first_start: datetime,
        interval: timedelta,
        duration: timedelta,
        channel_id: int | None,
        announce_at: datetime,
    ) -> Drop: ...

    def get_drop(self, drop_id: int) -> Drop: ...

    def set_announcement(self, drop_id: int, message_id: int | None) -> None: ...

    def cancel_drop(self, drop_id: int, *, by: int, reason: str, at: datetime) -> bool: ...

    def upcoming_drops(self, guild_id: int, now: datetime) -> list[Drop]:
        """Drops not cancelled with a start still pending, soonest first."""
        ...

    def add_start(
        self,
        *,
        guild_id: int,
        inventory_id: int,
        drop_id: int | None,
        starts_at: datetime,
        duration: timedelta,
        starting_bid: int | None,
        channel_id: int | None,
        opened_by: int,
        relist_number: int = 0,
        relisted_from: int | None = None,
    ) -> ScheduledStart: ...

    def get_start(self, start_id: int) -> ScheduledStart: ...

    def starts_of_drop(self, drop_id: int) -> list[ScheduledStart]: ...

    def pending_for(self, inventory_id: int) -> ScheduledStart | None: ...

    def mark_started(self, start_id: int, auction_id: int, at: datetime) -> bool:
        """False if it was started or cancelled already (a start happens once)."""
        ...

    def mark_cancelled(self, start_id: int, at: datetime, reason: str) -> bool: ...

    def starting_by(self, until: datetime) -> list[tuple[int, datetime]]:
        """Ids and times of pending starts due by ``until``, soonest first."""
        ...


class SettlementRepository(Protocol):
    """Pledge mode's settlements, their steps, and members' standing (defaults and bars)."""

    def open(self, auction_id: int, guild_id: int) -> bool: ...

    def get(self, auction_id: int) -> Settlement | None: ...

    def due_for_handle(self, guild_id: int, handle_key: str) -> Settlement | None: ...

    def finish(self, auction_id: int, status: SettlementStatus, at: datetime) -> bool:
        """Settle a due settlement; False if it was settled already."""
        ...

    def add_step(
        self,
        *,
        auction_id: int,
        guild_id: int,
        round: int,
        member_id: int,
        price: int,
        offered_at: datetime,
        due_at: datetime,
        state: StepState,
    ) -> SettlementStep: ...

    def get_step(self, step_id: int) -> SettlementStep:
        """Raises ``AuctionNotFound`` for an unknown id."""
        ...

    def steps(self, auction_id: int) -> list[SettlementStep]: ...

    def decide(
        self, step_id: int, *, expected: StepState, state: StepState, at: datetime, by: int | None
    ) -> bool:
        """Decide an open step still in ``expected``; False if it was decided already."""
        ...

    def accept(self, step_id: int, *, due_at: datetime) -> bool: ...

    def due_by(self, until: datetime) -> list[tuple[int, datetime]]:
        """Ids and deadlines of open steps due by ``until``, soonest first."""
        ...

    def standing(self, guild_id: int, member_id: int) -> MemberStanding: ...

    def barred(self, guild_id: int) -> set[int]: ...

    def is_barred(self, guild_id: int, member_id: int) -> bool:
        """Whether the member is barred from bidding on the server (asked by every bid)."""
        ...

    def add_default(self, guild_id: int, member_id: int) -> int:
        """Count one more default; the member's count now."""
        ...

    def bar(self, guild_id: int, member_id: int, at: datetime) -> bool: ...

    def unbar(self, guild_id: int, member_id: int) -> bool:
        """Lift the bar (and start the count afresh); False if not barred."""
        ...


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None: ...


class OutboxRepository(Protocol):
    def add(
        self,
        *,
        guild_id: int,
        auction_id: int | None,
        kind: MessageKind,
        payload: dict[str, Any],
        at: datetime,
        due_at: datetime | None = None,
    ) -> int | None:
        """Queue a message; returns its id, or None when a pending message already covers
        it (a member's outbid DM still waiting to go out covers a later outbid)."""
        ...

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Pending messages due now that no process holds, oldest first; an auction's
        messages wait while its opening post is still pending. Claims nothing."""
        ...

    def claim(self, *, by: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        """Claim for ``by`` until ``now + lease`` up to ``limit`` of the messages ``due``
        would return (unclaimed, or claimed by a lease that ran out), oldest first. Two
        processes claiming at once never both get a message."""
        ...

    def next_due_at(self) -> datetime | None:
        """When the next pending message is due: its retry time, or when the lease of the
        process holding it runs out, whichever is later."""
        ...

    def mark_delivered(self, message_id: int, at: datetime, *, by: str) -> bool:
        """Mark delivered if ``by`` still holds it; False if not (another process took it
        over once the lease ran out, or it was already recorded)."""
        ...

    def mark_retry(self, message_id: int, *, error: str, retry_at: datetime, by: str) -> bool:
        """Try again at ``retry_at``, and let go of the claim; False if ``by`` no longer
        holds it."""
        ...

    def mark_failed(self, message_id: int, *, error: str, at: datetime, by: str) -> bool:
        """Record as failed if ``by`` still holds it; False if not."""
        ...

    def release(self, *, by: str | None) -> int:
        """Let go of the claims on pending messages held by ``by`` (by anyone, if None), so
        they are due again at once. Returns how many."""
        ...

    def cancel(self, message_id: int, *, error: str, at: datetime) -> bool:
        """Record a pending message nobody holds as failed, so it never goes out; False if
        it is held, delivered or failed already."""
        ...

    def counts(self) -> OutboxCounts: ...

    def prune(self, before: datetime, *, from_id: int | None, chunk: int) -> tuple[int, int | None]:
        """Delete delivered and failed messages finished before ``before`` among at most
        ``chunk`` ids from ``from_id`` (the oldest, if None); pending ones are never touched.
        Returns how many were deleted and where the next chunk starts (None: nothing older
        is left to look at)."""
        ...


class LeaseRepository(Protocol):
    """Named work only one process at a time may do, held until a time its holder keeps
    moving forward."""

    def acquire(self, name: str, *, by: str, now: datetime, lease: timedelta) -> bool:
        """Hold ``name`` until ``now + lease`` if it is free, its lease ran out or ``by``
        holds it already (then it is extended). False if another process holds it."""
        ...

    def take(self, name: str, *, by: str, now: datetime, lease: timedelta) -> None:
        """Hold ``name`` until ``now + lease`` whoever held it: for a process that knows it
        is the only one (the holder before it died without letting go)."""
        ...

    def release(self, name: str, *, by: str) -> None:
        """Let go of ``name`` if ``by`` holds it."""
        ...


class MemberPreferences(Protocol):
    def set_outbid_dms(self, guild_id: int, user_id: int, enabled: bool) -> None: ...

    def outbid_dms(self, guild_id: int, user_id: int) -> bool:
        """Whether the member wants a DM when outbid (yes unless they turned it off)."""
        ...


class BotStateRepository(Protocol):
    """Small facts the bot remembers between runs (command-sync fingerprints, nonce prefix)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, at: datetime) -> None: ...


class ServerSettingsRepository(Protocol):
    def hold(self, guild_id: int) -> None:
        """Until this transaction ends, no other transaction changes the server's settings:
        two changes read and write them in turn (a row lock cannot hold rows not yet
        written)."""
        ...

    def overrides(self, guild_id: int) -> dict[str, str]:
        """The server's own values, by key; a key it never set is absent."""
        ...

    def set(self, guild_id: int, key: str, value: str | None, *, by: int, at: datetime) -> None:
        """Store the server's value for ``key``; None goes back to the default."""
        ...


class InteractionLog(Protocol):
    """The keys of the writes interactions caused (see ``bot.interactions``)."""

    def claim(self, interaction_id: int, seq: int, at: datetime) -> bool:
        """Take the key ``(interaction_id, seq)`` in this transaction; False if it was already
        taken (by a committed write, or earlier in this one). ``at`` is when the interaction
        was created."""
        ...

    def prune(self, before: datetime, *, chunk: int) -> int:
        """Delete keys of interactions created before ``before``, looking at no more than
        about ``chunk`` of the oldest; how many were deleted (0: nothing older is left)."""
        ...


class ReportQueries(Protocol):
    """The revenue report's reads, over ``since`` (None: the beginning) to ``until``."""

    def closed(self, guild_id: int, since: datetime | None, until: datetime) -> list[ClosedGroup]:
        """Auctions closed or cancelled in the span, counted by status, outcome, whether the
        sold registry has their sale, and their pledge settlement's status."""
        ...

    def sales(self, guild_id: int, since: datetime | None, until: datetime) -> list[SaleRow]:
        """Sales recorded in the span (released ones too), oldest first."""
        ...

    def defaults(self, guild_id: int, since: datetime | None, until: datetime) -> int:
        """Pledge payments that defaulted in the span."""
        ...

    def second_chance_sales(
        self, guild_id: int, since: datetime | None, until: datetime
    ) -> frozenset[int]:
        """Auctions whose handle a second-chance buyer paid for in the span."""
        ...


class LedgerRepository(Protocol):
    """Wallet mode's credits: accounts with cached balances, and append-only entries."""

    def lock_members(self, guild_id: int, member_ids: Iterable[int]) -> None:
        """Make the members' wallets if they have none and, where several processes write,
        lock them (in id order) until the transaction ends: read-then-write takes turns."""
        ...

    def post(self, guild_id: int, posting: Posting, at: datetime) -> int:
        """Write one entry and move both sides' balances; refuses (raises) an entry that
        would take an account below zero. Returns the entry's id."""
        ...

    def balance(self, guild_id: int, member_id: int) -> Balance: ...

    def issued(self, guild_id: int) -> int:
        """The server's credits in all (granted less revoked), locked where several
        processes write, so grants take turns checking it."""
        ...

    def holds_on(self, guild_id: int, auction_id: int) -> dict[int, int]:
        """Member -> credits held on the auction, for each member holding some."""
        ...

    def balances(self, guild_id: int) -> dict[Account, int]:
        """Every account's balance: the cached ones, and the house's revenue (not cached,
        so closes never wait on one row) summed from its entries."""
        ...

    def replay_check(self, guild_id: int) -> list[Mismatch]:
        """The accounts whose cached balance differs from what their entries add up to."""
        ...

    def entries(
        self, guild_id: int, member_id: int, *, offset: int = 0, limit: int = 10
    ) -> list[Entry]:
        """The member's entries, newest first."""
        ...

    def count_entries(self, guild_id: int, member_id: int) -> int: ...

    def all_entries(self, guild_id: int) -> list[Entry]:
        """Every entry of the server, oldest first."""
        ...


class Repositories(Protocol):
    """Everything one transaction can read and write."""

    @property
    def auctions(self) -> AuctionRepository: ...
    @property
    def sales(self) -> SaleRegistry: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def leases(self) -> LeaseRepository: ...
    @property
    def members(self) -> MemberPreferences: ...
    @property
    def state(self) -> BotStateRepository: ...
    @property
    def settings(self) -> ServerSettingsRepository: ...
    @property
    def inventory(self) -> InventoryRepository: ...
    @property
    def schedule(self) -> ScheduleRepository: ...
    @property
    def interactions(self) -> InteractionLog: ...
    @property
    def settlements(self) -> SettlementRepository: ...
    @property
    def report(self) -> ReportQueries: ...
    @property
    def ledger(self) -> LedgerRepository: ...


class CloseTimer(Protocol):
    """What closing needs from a scheduler: a reminder at an auction's end, and a sweep."""

    def remind_close(
        self, auction_id: int, at: datetime, job: Callable[[int], Awaitable[object]]
    ) -> None: ...

    def forget(self, auction_id: int) -> None: ...

    def repeat(self, name: str, every: timedelta, job: Callable[[], Awaitable[object]]) -> None:
        """Run ``job`` every ``every`` (replacing an earlier ``repeat`` of the same name)."""
        ...


class GuildDirectory(Protocol):
    """What the bot itself knows of Discord's servers (its own cache), to check the channel
    and role ids it is given rather than trust them."""

    def channel_in_guild(self, channel_id: int, guild_id: int) -> bool: ...

    def role_in_guild(self, role_id: int, guild_id: int) -> bool: ...


class TrustingDirectory:
    """For the core without Discord (its tests, the benchmark): takes every id as given."""

    def channel_in_guild(self, channel_id: int, guild_id: int) -> bool:
        return True

    def role_in_guild(self, role_id: int, guild_id: int) -> bool:
        return True


class Sender(Protocol):
    """Delivers the outbox's messages on Discord: one method per kind of message. Each must
    be safe to call again for the same message, and raises ``DeliveryFailed`` saying whether
    a retry can help."""

    async def post_auction(self, message: OutboxMessage) -> None: ...

    async def dm_outbid(self, message: OutboxMessage) -> None: ...

    async def announce_result(self, message: OutboxMessage) -> None: ...

    async def dm_winner(self, message: OutboxMessage) -> None: ...

    async def announce_cancellation(self, message: OutboxMessage) -> None: ...

    async def copy_to_audit(self, message: OutboxMessage) -> None: ...

    async def send_house_notice(self, message: OutboxMessage) -> None: ...

    async def announce_drop(self, message: OutboxMessage) -> None: ...

    async def settlement_dm(self, message: OutboxMessage) -> None: ...

    async def settlement_notice(self, message: OutboxMessage) -> None: ...


class StartupError(Exception):
    """An expected reason the bot cannot start (the database is in use or cannot be opened,
    Discord is out of reach): ``python -m bot`` prints its message as one line."""

"""What happened, recorded by a transaction as it happens and published after its COMMIT.

Nothing is published for a transaction that rolled back. ``grep`` for an event's name finds
everyone who reacts to it (the subscriptions are listed in ``bot/bootstrap.py`` and
``bot/interface/wiring.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.auction import Effect, Outcome
from bot.domain.messages import MessageKind


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True, slots=True)
class AuctionOpened(Event):
    auction_id: int
    guild_id: int
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class BidAccepted(Event):
    auction_id: int
    bid_id: int
    bidder_id: int
    price: int
    effect: Effect


@dataclass(frozen=True, slots=True)
class Outbid(Event):
    auction_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class AuctionExtended(Event):
    """The end moved later: by a moderator, or by anti-sniping."""

    auction_id: int
    ends_at: datetime
    by_anti_sniping: bool


@dataclass(frozen=True, slots=True)
class AuctionStillRunning(Event):
    """A close came early (the end had moved): the auction must be reminded again."""

    auction_id: int
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class BidsVoided(Event):
    auction_id: int
    count: int


@dataclass(frozen=True, slots=True)
class AuctionClosed(Event):
    """Closed with a result (sold, no bids, reserve not met) or cancelled."""

    auction_id: int
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class PostPublished(Event):
    """The auction's live post is (again) at this message."""

    auction_id: int
    channel_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class PostLost(Event):
    """The auction's post can no longer be shown (its channel is gone)."""

    auction_id: int


@dataclass(frozen=True, slots=True)
class MessageQueued(Event):
    kind: MessageKind


@dataclass(frozen=True, slots=True)
class SettingsChanged(Event):
    guild_id: int
    key: str


@dataclass(frozen=True, slots=True)
class StartScheduled(Event):
    """An inventory handle is to go up for auction at ``at`` (a drop's slot or a relist)."""

    start_id: int
    guild_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class StartSettled(Event):
    """A scheduled start happened, or was cancelled or skipped: it needs no reminder."""

    start_id: int


@dataclass(frozen=True, slots=True)
class StepScheduled(Event):
    """A pledge settlement's step (a payment or an offer) is due at ``at``."""

    step_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class StepSettled(Event):
    """A settlement step was decided (paid, defaulted, declined, expired): no reminder."""

    step_id: int

"""The outbox's messages: what the bot must say on Discord, written in the transaction that
caused it and delivered afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    AUCTION_OPENED = "auction_opened"  # post the live auction post
    OUTBID = "outbid"  # tell the previous leader (DM)
    AUCTION_CLOSED = "auction_closed"  # announce the result, close the post
    WINNER_NOTICE = "winner_notice"  # tell the winner (DM)
    AUCTION_CANCELLED = "auction_cancelled"  # announce the cancellation, close the post
    MODERATOR_ACTION = "moderator_action"  # copy to the server's audit channel, if it has one
    HOUSE_NOTICE = "house_notice"  # something the bot itself reports to the audit channel
    DROP_ANNOUNCEMENT = "drop_announcement"  # what a drop will put up, posted ahead of it
    SETTLEMENT_DM = "settlement_dm"  # pledge mode: an offer, an acceptance, a payment (DM)
    SETTLEMENT_NOTICE = (
        "settlement_notice"  # pledge mode: a settlement's step, to the audit channel
    )


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    guild_id: int
    auction_id: int | None
    kind: MessageKind
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    delivered: int
    failed: int

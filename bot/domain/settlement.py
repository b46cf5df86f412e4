"""Pledge mode's settlement of a sold auction: the winner pays outside the bot by a deadline;
unpaid, the handle is offered to the next bidders in turn, each at their own highest bid.

A settlement is a row per sold pledge auction (``SettlementStatus``) and its steps in order
(``SettlementStep``): round 0 is the winner, rounds 1..n the second-chance offers. A step's
state changes only by a conditional update from the state it was read in, so each change
happens once, whichever process or reminder gets there first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.records import StoredBid


class SettlementStatus(StrEnum):
    DUE = "due"  # someone must pay or answer an offer
    PAID = "paid"
    UNSOLD = "unsold"  # nobody took it


class StepState(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # the winner, or a bidder who accepted an offer
    OFFERED = "offered"  # a second-chance offer waiting for an answer
    PAID = "paid"
    DECLINED = "declined"
    EXPIRED = "expired"  # an offer nobody answered in time
    DEFAULTED = "defaulted"  # unpaid by the deadline


OPEN_STATES = frozenset({StepState.AWAITING_PAYMENT, StepState.OFFERED})


@dataclass(frozen=True, slots=True)
class SettlementStep:
    id: int
    auction_id: int
    guild_id: int
    round: int
    member_id: int
    price: int
    offered_at: datetime
    due_at: datetime
    state: StepState
    decided_at: datetime | None
    decided_by: int | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True, slots=True)
class Settlement:
    auction_id: int
    guild_id: int
    status: SettlementStatus
    settled_at: datetime | None


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """A member's unpaid wins on a server, and since when they are barred there (if they are)."""

    guild_id: int
    member_id: int
    defaults: int = 0
    barred_at: datetime | None = None

    @property
    def barred(self) -> bool:
        return self.barred_at is not None


@dataclass(frozen=True, slots=True)
class Candidate:
    member_id: int
    price: int  # their own highest bid


def highest_bids(bids: Iterable[StoredBid]) -> dict[int, tuple[int, int]]:
    """Each bidder's highest live bid, and the id of the first bid that reached it. A bid's
    height is what it committed: its secret maximum where it had one (proxy bidding bid for
    them up to it, so an outbid maximum was reached), else its amount."""
    best: dict[int, tuple[int, int]] = {}
    for bid in bids:
        if bid.voided:
            continue
        height = max(bid.amount, bid.maximum)
        held = best.get(bid.bidder_id)
        if held is None or height > held[0] or (height == held[0] and bid.id < held[1]):
            best[bid.bidder_id] = (height, bid.id)
    return best


def next_candidate(
    bids: Iterable[StoredBid],
    *,
    reserve: int | None,
    excluded: frozenset[int],
) -> Candidate | None:
    """The highest other bidder (by their highest live bid; on a tie, who got there first)
    whose highest bid met the reserve, leaving out ``excluded`` (already offered, defaulted
    or barred)."""
    ranked = sorted(
        (
            (height, first, member)
            for member, (height, first) in highest_bids(bids).items()
            if member not in excluded and (reserve is None or height >= reserve)
        ),
        key=lambda entry: (-entry[0], entry[1]),
    )
    if not ranked:
        return None
    height, _, member = ranked[0]
    return Candidate(member_id=member, price=height)

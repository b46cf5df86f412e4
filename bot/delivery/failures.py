"""What a failed call to Discord means for the one who made it. The Discord side classifies
(``bot/interface/failures.py``); the outbox dispatcher and the post editor act on it."""

from __future__ import annotations

from enum import Enum


class Failure(Enum):
    RETRY = "retry"  # an outage, a rate limit, a timeout: the same call can work later
    PERMANENT = (
        "permanent"  # Discord will refuse it again (missing access, DMs closed, bad request)
    )
    REPLACE = "replace"  # the message can no longer be edited: post a fresh one
    GONE = "gone"  # where it was going no longer exists (the channel was deleted)

    @property
    def final(self) -> bool:
        return self in {Failure.PERMANENT, Failure.GONE}


class DeliveryFailed(Exception):
    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail

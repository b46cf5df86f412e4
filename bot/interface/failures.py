"""What a failed Discord call means: the one classification the outbox's sender and the post
editor share."""

from __future__ import annotations

import discord

from bot.delivery.failures import DeliveryFailed, Failure

UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
OLD_MESSAGE_EDIT_LIMIT = 30046  # a message older than an hour can be edited only so often


def classify(error: BaseException) -> Failure:
    """Retry what an outage, a rate limit or a timeout caused; give up on what Discord will
    refuse again; replace a message that can no longer be edited."""
    if not isinstance(error, discord.HTTPException):
        # Connection errors, timeouts, and anything unforeseen: trying again can help.
        return Failure.RETRY
    if error.code == UNKNOWN_CHANNEL:
        return Failure.GONE
    if error.code in {UNKNOWN_MESSAGE, OLD_MESSAGE_EDIT_LIMIT}:
        return Failure.REPLACE
    if error.status == 429 or error.status >= 500:
        return Failure.RETRY
    # Missing access or permissions, DMs closed, a bad request: the same call fails again.
    return Failure.PERMANENT


def describe(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"{error.status} {error.code}: {error.text}"
    return repr(error)


def as_delivery_failure(error: BaseException) -> DeliveryFailed:
    failure = classify(error)
    # For a new message, "can't edit" cannot happen; anything REPLACE-like is final.
    if failure is Failure.REPLACE:
        failure = Failure.PERMANENT
    return DeliveryFailed(failure, describe(error))

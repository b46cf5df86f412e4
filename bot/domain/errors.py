"""Domain errors. Each message is written for the person who caused it and says what would work."""

from __future__ import annotations


class AuctionError(Exception):
    """Base of every refusal the bot explains to a user. ``str(error)`` is the user-facing text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(AuctionError):
    """A value (amount, duration, increment, handle...) breaks a rule; nothing was changed."""


class InvalidHandle(InvalidInput):
    """The handle breaks one of the platform's rules."""


class InvalidAmount(InvalidInput):
    """An amount is outside the allowed range."""


class InvalidDuration(InvalidInput):
    """A duration could not be read or is outside the configured bounds."""


class NotPermitted(AuctionError):
    """The acting member may not do this."""


class AuctionNotFound(AuctionError):
    """No auction matches."""


class AuctionNotOpen(AuctionError):
    """The auction has already closed or was cancelled."""


class HandleUnavailable(AuctionError):
    """The handle is already up for auction, sold, or reserved."""


class BidRefused(AuctionError):
    """A bid was refused. ``minimum`` is the lowest bid that would have been accepted, if any."""

    def __init__(self, message: str, minimum: int | None = None) -> None:
        super().__init__(message)
        self.minimum = minimum


class BidTooLow(BidRefused):
    """The bid is below the minimum valid bid."""


class NothingToVoid(AuctionError):
    """The member has no bid left to void in this auction."""


class StorageUnavailable(AuctionError):
    """The bot cannot save anything right now (its disk is full or failing): nothing changed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "I can't save anything right now (the bot's storage is full or failing), so "
            "nothing was changed. Please try again later, and tell a moderator if it lasts."
        )


class AlreadyHandled(AuctionError):
    """Another bot process already applied this interaction's write (Discord delivered the
    interaction to both): nothing changed here, and the answer is the other process's."""

    def __init__(self, interaction_id: int, seq: int) -> None:
        super().__init__("That was already done.")
        self.interaction_id = interaction_id
        self.seq = seq

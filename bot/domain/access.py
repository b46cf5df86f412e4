"""Who may do what. The Discord layer reports facts about the member; the rules live here."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import NotPermitted


@dataclass(frozen=True, slots=True)
class Actor:
    """The member acting, as the bot itself saw them (never only what Discord's UI allowed)."""

    user_id: int
    role_ids: frozenset[int] = frozenset()
    manages_guild: bool = False


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Moderators: Manage Server, or a configured role. Bidders: everyone, or configured roles."""

    moderator_role_ids: frozenset[int] = frozenset()
    bidder_role_ids: frozenset[int] = frozenset()

    def is_moderator(self, actor: Actor) -> bool:
        return actor.manages_guild or bool(actor.role_ids & self.moderator_role_ids)

    def require_moderator(self, actor: Actor) -> None:
        if not self.is_moderator(actor):
            raise NotPermitted(
                "Only moderators (members with Manage Server or a moderator role) can do that."
            )

    def require_bidder(self, actor: Actor) -> None:
        if self.bidder_role_ids and not actor.role_ids & self.bidder_role_ids:
            raise NotPermitted("Bidding on this server is open to members with a bidder role only.")

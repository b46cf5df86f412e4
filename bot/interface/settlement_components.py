"""Pledge settlement's persistent buttons: Mark paid under the audit channel's copy of a sale,
and Accept / Decline under a second-chance offer's DM. Their custom ids carry the settlement
step's id, so they keep working after a restart; the core checks who pressed, the server,
the step's state and its deadline again on every press."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.interface.components import PostButton
from bot.interface.replies import Reply, actor_of, answer, bot_of, guild_id_of
from bot.interface.settlement_rendering import deadline, paid_reply


class MarkPaidButton(PostButton, template=r"settlement:(?P<id>[0-9]{1,20}):paid"):
    """ "Mark paid": a moderator confirms the payment this step waits for."""

    style = discord.ButtonStyle.success

    def __init__(self, step_id: int) -> None:
        self.step_id = step_id
        super().__init__(f"settlement:{step_id}:paid", "Mark paid")

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> MarkPaidButton:
        return cls(int(match["id"]))

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        await answer(interaction, self._paid(interaction))

    async def _paid(self, interaction: discord.Interaction[Any]) -> Reply:
        house = bot_of(interaction).house
        guild_id = guild_id_of(interaction)
        receipt = await house.settling.mark_paid(
            guild_id, actor_of(interaction), step_id=self.step_id
        )
        currency = (await house.settings_for(guild_id)).currency
        return Reply(content=paid_reply(receipt.handle, receipt.member_id, receipt.price, currency))


class OfferButton(
    PostButton, template=r"settlement:(?P<id>[0-9]{1,20}):(?P<answer>accept|decline)"
):
    """Accept or Decline a second-chance offer (only the member it was made to)."""

    def __init__(self, step_id: int, accept: bool) -> None:
        self.step_id = step_id
        self.accept = accept
        super().__init__(
            f"settlement:{step_id}:{'accept' if accept else 'decline'}",
            "Accept" if accept else "Decline",
        )
        self.item.style = discord.ButtonStyle.success if accept else discord.ButtonStyle.danger

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> OfferButton:
        return cls(int(match["id"]), match["answer"] == "accept")

    async def clicked(self, interaction: discord.Interaction[Any]) -> None:
        await answer(interaction, self._answer(interaction))

    async def _answer(self, interaction: discord.Interaction[Any]) -> Reply:
        house = bot_of(interaction).house
        step = await house.settling.answer_offer(
            self.step_id, interaction.user.id, accept=self.accept
        )
        if self.accept:
            due = int(step.due_at.timestamp())
            return Reply(
                content=(
                    f"You accepted the offer. Please pay by {deadline(due)}: a moderator "
                    "confirms your payment, and the handle is yours once they do."
                )
            )
        return Reply(content="You declined the offer; it goes to the next bidder, if there is one.")


def paid_button(step_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(MarkPaidButton(step_id))
    return view


def offer_buttons(step_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(OfferButton(step_id, accept=True))
    view.add_item(OfferButton(step_id, accept=False))
    return view


SETTLEMENT_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (MarkPaidButton, OfferButton)

"""``python -m bot sandbox --demo``: a scripted auction played through the loopback Discord.

A moderator lists @og, members bid (one with a secret maximum, one with the post's button),
someone bids in the last seconds and the end moves, the auction closes, the winner is
announced and DMed. Every step goes through the same interactions a person's clicks send,
and the terminal narrates each in one line: who did what, and what the bot answered.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    BOB_ID,
    CAROL_ID,
    MODERATOR_ID,
    DiscordEmulator,
    InteractionHandle,
    StoredMessage,
)
from bot.sandbox.scene import DAVE_ID, person

HANDLE = "og"
DURATION = "40s"
SNIPE_BEFORE_END = 5.0  # seconds: inside the sandbox's 10-second anti-sniping window
WAIT = 30.0  # seconds for any one answer or message
RESULT_PREFIX = f"**Auction closed: @{HANDLE}.**"
Say = Callable[[str], None]


class DemoFailed(RuntimeError):
    """The bot did not do what the script expects; the message says what was missing."""


@dataclass(frozen=True, slots=True)
class DemoResult:
    result: str  # the announcement, as the terminal shows it
    announcements: int  # how many result messages the auction channel holds
    winner_dm: str | None


def local_time(unix: int) -> str:
    """A moment as the terminal's clock shows it."""
    return datetime.fromtimestamp(unix, tz=UTC).astimezone().strftime("%H:%M:%S")


def relative(unix: int) -> str:
    seconds = round(unix - time.time())
    return f"in {seconds} s" if seconds >= 0 else f"{-seconds} s ago"


def plain(emulator: DiscordEmulator, text: str) -> str:
    """Discord markdown as one terminal line: names for mentions, local times, no markup."""

    def user(match: re.Match[str]) -> str:
        who = person(int(match.group(1)))
        return "@" + (who.display_name if who else "someone")

    text = re.sub(r"<@!?(\d+)>", user, text)
    text = re.sub(r"<t:(-?\d+):R>", lambda m: relative(int(m.group(1))), text)
    text = re.sub(r"<t:(-?\d+)(?::\w)?>", lambda m: local_time(int(m.group(1))), text)
    text = re.sub(r"\\([^A-Za-z0-9\s])", r"\1", text.replace("**", "").replace("__", ""))
    return " ".join(text.split())


def answer_text(handle: InteractionHandle) -> str:
    """What the member saw: the original answer or the follow-up after a defer."""
    parts: list[str] = []
    for message in [handle.original, *handle.followups]:
        if message is None:
            continue
        parts.append(message.content)
        for embed in message.data.get("embeds", []):
            parts.append(f"{embed.get('title', '')} {embed.get('description', '')}")
    return " ".join(p for p in parts if p.strip())


class Demo:
    def __init__(self, emulator: DiscordEmulator, say: Say) -> None:
        self.emulator = emulator
        self.say = say
        self.began = time.monotonic()

    def _line(self, who: int, did: str, answer: str) -> None:
        elapsed = time.monotonic() - self.began
        name = person(who)
        actor = name.display_name if name else str(who)
        self.say(f"[{elapsed:5.1f}s] {actor}: {did} -> AuctionBot: {plain(self.emulator, answer)}")

    async def _wait(self, what: str, predicate: Callable[[], Any]) -> Any:
        try:
            return await self.emulator.wait_for(predicate, WAIT, 0.05)
        except TimeoutError:
            raise DemoFailed(f"the bot did not {what} within {WAIT:.0f} s") from None

    async def _act(self, who: int, did: str, payload: dict[str, Any]) -> str:
        handle = await self.emulator.send_interaction(payload)
        await self._wait("answer", lambda: answer_text(handle).strip())
        answer = answer_text(handle)
        self._line(who, did, answer)
        return answer

    async def slash(
        self, who: int, name: str, options: dict[str, Any], sub: str | None = None
    ) -> str:
        shown = " ".join(f"{k}:{v}" for k, v in options.items())
        did = f"/{name}{' ' + sub if sub else ''} {shown}"
        return await self._act(who, did, self.emulator.slash(who, name, options, sub))

    def post(self) -> StoredMessage | None:
        for message in self.emulator.channel_messages(AUCTIONS_CHANNEL_ID):
            if any(f"@{HANDLE}" in e.get("title", "") for e in message.data.get("embeds", [])):
                return message
        return None

    def _quick(self, post: StoredMessage) -> tuple[str, int]:
        for custom_id in post.custom_ids():
            if ":quick:" in custom_id:
                return custom_id, int(custom_id.rsplit(":", 1)[1])
        raise DemoFailed("the auction post has no quick-bid button")

    def ends_at(self) -> int | None:
        post = self.post()
        if post is None:
            return None
        text = " ".join(
            f"{e.get('description', '')} " + " ".join(f["value"] for f in e.get("fields", []))
            for e in post.data.get("embeds", [])
        )
        found = re.search(r"<t:(\d+):R>", text)
        return int(found.group(1)) if found else None

    def announcements(self) -> list[StoredMessage]:
        return [
            m
            for m in self.emulator.channel_messages(AUCTIONS_CHANNEL_ID)
            if m.content.startswith(RESULT_PREFIX)
        ]

    async def play(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> DemoResult:
        await self.slash(
            MODERATOR_ID,
            "auctioneer",
            {"handle": f"@{HANDLE}", "starting_bid": 100, "duration": DURATION},
            "start",
        )
        post: StoredMessage = await self._wait("post the auction", self.post)
        await self.slash(ALICE_ID, "bid", {"handle": HANDLE, "amount": 100})
        await self.slash(BOB_ID, "bid", {"handle": HANDLE, "amount": 150, "max": 400})
        await self.slash(CAROL_ID, "bid", {"handle": HANDLE, "amount": 200})
        await sleep(1.5)  # the post catches up (one edit a second at most)
        custom_id, amount = self._quick(post)
        await self._act(
            ALICE_ID,
            f"clicks the post's quick-bid button ({amount:,})",
            self.emulator.click(ALICE_ID, post, custom_id),
        )
        ends = self.ends_at()
        if ends is None:
            raise DemoFailed("the auction post shows no end time")
        await sleep(max(0.0, ends - time.time() - SNIPE_BEFORE_END))
        await sleep(1.0)  # the post shows the latest price before Dave reads it
        _, amount = self._quick(post)
        # Above Bob's secret maximum (400): the proxy cannot answer, and Dave takes the lead.
        await self.slash(DAVE_ID, "bid", {"handle": HANDLE, "amount": max(amount, 400) + 50})
        moved = await self._wait(
            "move the end on the post", lambda: (self.ends_at() or ends) > ends and self.ends_at()
        )
        self.say(
            f"[{time.monotonic() - self.began:5.1f}s] the end moved from "
            f"{local_time(ends)} to {local_time(moved)}"
            " (anti-sniping)"
        )
        wait_close = max(0.0, moved - time.time()) + WAIT
        try:
            await self.emulator.wait_for(self.announcements, wait_close, 0.1)
        except TimeoutError:
            raise DemoFailed("the bot did not announce the result") from None
        await sleep(2.0)  # a second announcement, if the bot ever sent one, would be here
        result = plain(self.emulator, self.announcements()[0].content)
        winner = self.announcements()[0].data.get("mentions") or []
        dm: str | None = None
        if winner:
            winner_id = int(winner[0]["id"])
            dms = await self._wait("DM the winner", lambda: self.emulator.dm_messages(winner_id))
            dm = plain(self.emulator, dms[0].content)
        return DemoResult(result=result, announcements=len(self.announcements()), winner_dm=dm)

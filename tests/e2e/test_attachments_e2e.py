"""Attachments both ways through the emulator, with a real discord.py bot in-process: a file a
member attaches to a command reaches the bot byte for byte, and the files the bot sends are
kept with their bytes, served over HTTP and readable by a test."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.interface.loopback import point_discord_at
from bot.sandbox import ALICE_ID, ATTACHMENT, AUCTIONS_CHANNEL_ID, GUILD_ID, DiscordEmulator
from bot.sandbox.records import StoredMessage

pytestmark = pytest.mark.e2e

GUILD = discord.Object(GUILD_ID)
CSV = b"handle,price\n@og,100\n@rare,2500\n\x00\xff binary tail"


class FileBot(discord.Client):
    """One command: read the attached file, answer with it upper-cased as result.csv, then
    follow up with a second file and edit the answer to keep only the first."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)
        self.received: list[tuple[str, str | None, bytes]] = []
        self.errors: list[BaseException] = []
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

        @self.tree.command(name="import", description="Import a CSV", guild=GUILD)
        async def import_(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            self.received.append((file.filename, file.content_type, data))
            result = discord.File(io.BytesIO(data.upper()), filename="result.csv")
            await interaction.response.send_message("imported", file=result)
            note = discord.File(io.BytesIO(b"note"), filename="note.txt", description="a note")
            await interaction.followup.send("and a note", file=note)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(error.__cause__ or error)


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with DiscordEmulator() as emulator:
            point_discord_at(emulator.base_url)
            yield emulator
            await emulator.flush_validation()
            assert emulator.spec_violations == []
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
async def bot(emu: DiscordEmulator) -> AsyncIterator[FileBot]:
    client = FileBot()
    await client.login("emulator-token")
    task = asyncio.create_task(client.connect(reconnect=True))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 30)
        await client.tree.sync(guild=GUILD)
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(task, 30)


async def fetch(url: str) -> tuple[int, bytes, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read(), response.headers.get("Content-Type", "")


async def test_upload_is_resolved_as_discord_shapes_it(emu: DiscordEmulator) -> None:
    opt = emu.upload("lots.csv", CSV)
    assert opt.type == ATTACHMENT
    data = emu.slash(ALICE_ID, "import", {"file": opt})["data"]
    assert data["options"] == [{"type": 11, "name": "file", "value": str(opt.value)}]
    resolved = data["resolved"]["attachments"][str(opt.value)]
    url = f"{emu.base_url}/attachments/{opt.value}/lots.csv"
    assert resolved == {
        "id": str(opt.value),
        "filename": "lots.csv",
        "size": len(CSV),
        "url": url,
        "proxy_url": url,
        "content_type": "text/csv",
        "ephemeral": True,
    }
    assert await fetch(url) == (200, CSV, "text/csv")


async def test_unknown_attachments_are_not_found(emu: DiscordEmulator) -> None:
    opt = emu.upload("lots.csv", CSV)
    assert (await fetch(f"{emu.base_url}/attachments/1/lots.csv"))[0] == 404
    assert (await fetch(f"{emu.base_url}/attachments/{opt.value}/other.csv"))[0] == 404
    assert (await fetch(f"{emu.base_url}/attachments/x/lots.csv"))[0] == 404
    with pytest.raises(ValueError, match="no file 1 was uploaded"):
        emu.slash(ALICE_ID, "import", {"file": type(opt)(ATTACHMENT, 1)})


async def test_the_bot_reads_the_upload_and_its_files_are_kept(
    emu: DiscordEmulator, bot: FileBot
) -> None:
    handle = await emu.send_interaction(
        emu.slash(ALICE_ID, "import", {"file": emu.upload("lots.csv", CSV)})
    )
    assert (await handle.response())["type"] == 4
    await emu.wait_for(lambda: handle.followups)
    assert bot.errors == []
    assert bot.received == [("lots.csv", "text/csv", CSV)]

    original = handle.original
    assert isinstance(original, StoredMessage)
    assert emu.attachment_bytes(original, "result.csv") == CSV.upper()
    [sent] = original.data["attachments"]
    assert sent["filename"] == "result.csv" and sent["size"] == len(CSV)
    assert sent["content_type"] == "text/csv"
    assert await fetch(sent["url"]) == (200, CSV.upper(), "text/csv")

    [followup] = handle.followups
    [note] = followup.data["attachments"]
    assert note["description"] == "a note"
    assert emu.attachment_bytes(followup, "note.txt") == b"note"
    with pytest.raises(KeyError, match=r"no attachment 'missing\.txt'"):
        emu.attachment_bytes(followup, "missing.txt")


async def test_channel_messages_and_edits_keep_what_the_body_lists(
    emu: DiscordEmulator, bot: FileBot
) -> None:
    channel = bot.get_channel(AUCTIONS_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    files = [
        discord.File(io.BytesIO(b"one"), filename="one.txt"),
        discord.File(io.BytesIO(b"two"), filename="two.txt", description="second"),
    ]
    sent = await channel.send("two files", files=files)
    assert [a.filename for a in sent.attachments] == ["one.txt", "two.txt"]
    assert await sent.attachments[1].read() == b"two"  # through discord.py's CDN download
    stored = emu.message_by_id(sent.id)
    assert stored is not None

    three = discord.File(io.BytesIO(b"three"), filename="three.txt")
    edited = await sent.edit(attachments=[sent.attachments[1], three])
    assert [a.filename for a in edited.attachments] == ["two.txt", "three.txt"]
    assert emu.attachment_bytes(stored, "three.txt") == b"three"
    assert emu.attachment_bytes(stored, "two.txt") == b"two"
    with pytest.raises(KeyError):
        emu.attachment_bytes(stored, "one.txt")


async def test_a_multipart_body_is_checked_by_its_payload_json(emu: DiscordEmulator) -> None:
    url = f"{emu.base_url}/api/v10/channels/{AUCTIONS_CHANNEL_ID}/messages"
    for content, violations in (("fine", 0), (5, 1)):
        form = aiohttp.FormData()
        payload = {"content": content, "attachments": [{"id": 0, "filename": "a.txt"}]}
        form.add_field("payload_json", json.dumps(payload), content_type="application/json")
        form.add_field("files[0]", b"abc", filename="a.txt")
        async with aiohttp.ClientSession() as session, session.post(url, data=form) as resp:
            await resp.read()
        await emu.flush_validation()
        assert len(emu.spec_violations) == violations, emu.spec_violations
    emu.spec_violations.clear()

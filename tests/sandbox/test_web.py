"""The sandbox page's server, driven over HTTP as the page drives it, against the real bot.

What a person does on the page becomes the interaction Discord would send; what they see
comes from the loopback Discord's state, ephemeral answers only for the member who got them.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl

from bot.interface.loopback import point_discord_at
from bot.sandbox import (
    ALICE_ID,
    AUCTIONS_CHANNEL_ID,
    BOB_ID,
    GUILD_ID,
    MODERATOR_ID,
    DiscordEmulator,
)
from bot.sandbox.scene import sandbox_world
from bot.sandbox.session import Sandbox
from bot.sandbox.web import SandboxPage
from tests.e2e.test_attachments_e2e import CSV, FileBot

pytestmark = pytest.mark.e2e

Client = tuple[aiohttp.ClientSession, SandboxPage]


@pytest.fixture
async def page() -> AsyncIterator[Client]:
    sandbox = Sandbox()
    web_page = SandboxPage(sandbox.emulator)
    try:
        await sandbox.start()
        await web_page.start(0)
        async with aiohttp.ClientSession(base_url=web_page.url) as session:
            yield session, web_page
    finally:
        await web_page.stop()
        await sandbox.stop()


async def post(client: Client, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
    session, _ = client
    async with session.post(path, json=body) as response:
        return response.status, await response.json()


async def state(client: Client, viewer: int) -> dict[str, Any]:
    session, _ = client
    async with session.get("/api/state", params={"as": str(viewer)}) as response:
        assert response.status == 200
        result: dict[str, Any] = await response.json()
        return result


async def until(predicate: Any, timeout: float = 30) -> Any:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"not met within {timeout}s")
        await asyncio.sleep(0.05)


def auctions(view: dict[str, Any]) -> list[dict[str, Any]]:
    channel = next(c for c in view["channels"] if c["id"] == str(AUCTIONS_CHANNEL_ID))
    messages: list[dict[str, Any]] = channel["messages"]
    return messages


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [
        m["content"] + " ".join(e.get("title", "") + e.get("description", "") for e in m["embeds"])
        for m in messages
    ]


async def start(client: Client, handle: str = "@pagename") -> dict[str, Any]:
    status, answer = await post(
        client, "/api/command", **{"as": MODERATOR_ID}, channel_id=AUCTIONS_CHANNEL_ID,
        name="auctioneer", subcommand="start",
        options={"handle": handle, "starting_bid": "100", "duration": "1h"},
    )  # fmt: skip
    assert status == 200 and answer["answered"], answer

    async def posted() -> dict[str, Any] | None:
        for m in auctions(await state(client, ALICE_ID)):
            if any(handle in e.get("title", "") for e in m["embeds"]):
                return m
        return None

    found: dict[str, Any] = await until(posted)
    return found


async def test_a_command_answer_is_seen_only_by_its_member(page: Client) -> None:
    await start(page)
    mine = [t for t in texts(auctions(await state(page, MODERATOR_ID))) if "started" in t]
    assert mine and "Auction for @pagename started" in mine[0]
    others = [t for t in texts(auctions(await state(page, ALICE_ID))) if "started" in t]
    assert others == []
    view = await state(page, MODERATOR_ID)
    names = {c["name"] for c in view["commands"]}
    assert {"bid", "auction", "auctioneer"} <= names
    assert view["bot_connected"] is True


async def test_bad_input_is_refused_with_what_would_be_right_and_sends_nothing(
    page: Client,
) -> None:
    _, web_page = page
    sent = len(web_page.emulator.interactions)
    cases = [
        ({"name": "bid", "options": {"handle": "og", "amount": "ten"}}, "amount must be a whole number"),
        ({"name": "bid", "options": {"handle": "og"}}, "amount is required"),
        ({"name": "bid", "options": {"handle": "og", "amount": "5", "colour": "red"}}, "no option 'colour'"),
        ({"name": "shout", "options": {}}, "There is no command /shout; the bot registered"),
        ({"name": "auctioneer", "subcommand": "explode", "options": {}}, "no subcommand 'explode'"),
        ({"name": "bid", "options": ["og", 5]}, "options must map each option's name"),
        ({"name": "bid", "options": {"handle": {"x": 1}}}, "options must map each option's name"),
        ({"name": ["bid"], "options": {}}, "name and subcommand must be texts"),
    ]  # fmt: skip
    for body, message in cases:
        status, answer = await post(
            page, "/api/command", **{"as": ALICE_ID}, channel_id=AUCTIONS_CHANNEL_ID, **body
        )
        assert status == 400 and message in answer["error"], (body, answer)
    status, answer = await post(
        page, "/api/command", **{"as": 42}, channel_id=AUCTIONS_CHANNEL_ID, name="bid"
    )
    assert status == 400 and "Act as one of the people" in answer["error"]
    status, answer = await post(
        page, "/api/command", **{"as": ALICE_ID}, channel_id=1, name="bid", options={}
    )
    assert status == 400 and "one of the server's channels" in answer["error"]
    assert len(web_page.emulator.interactions) == sent


async def test_the_bid_button_opens_the_dialog_and_its_answer_updates_the_post(
    page: Client,
) -> None:
    posted = await start(page)
    bid_button = next(
        c["custom_id"]
        for row in posted["components"]
        for c in row["components"]
        if c.get("custom_id", "").endswith(":bid")
    )
    status, answer = await post(
        page, "/api/click", **{"as": BOB_ID}, message_id=posted["id"], custom_id=bid_button
    )
    assert status == 200 and answer["callback"]["type"] == 9, answer  # a dialog
    dialog = answer["callback"]["data"]
    status, answer = await post(
        page, "/api/modal", **{"as": BOB_ID}, custom_id=dialog["custom_id"],
        values={"amount": "150", "maximum": ""}, message_id=posted["id"],
    )  # fmt: skip
    assert status == 200 and answer["answered"], answer

    async def updated() -> bool:
        for m in auctions(await state(page, ALICE_ID)):
            if m["id"] == posted["id"]:
                return any("150" in f["value"] for e in m["embeds"] for f in e.get("fields", []))
        return False

    await until(updated)
    bobs = texts(auctions(await state(page, BOB_ID)))
    assert any("You lead @pagename at **150 credits**" in t for t in bobs), bobs
    assert not any("You lead" in t for t in texts(auctions(await state(page, ALICE_ID))))


async def test_autocomplete_comes_from_the_bot(page: Client) -> None:
    await start(page, "@autoname")
    status, answer = await post(
        page, "/api/autocomplete", **{"as": ALICE_ID}, channel_id=AUCTIONS_CHANNEL_ID,
        name="bid", options={"handle": "auto"}, focused="handle",
    )  # fmt: skip
    assert status == 200, answer
    choices = answer["callback"]["data"]["choices"]
    assert any("autoname" in c["value"] for c in choices), choices


async def test_another_members_ephemeral_answer_cannot_be_clicked(page: Client) -> None:
    await start(page, "@privname")
    view = await state(page, MODERATOR_ID)
    private = next(m for m in auctions(view) if m["ephemeral"])
    status, answer = await post(
        page, "/api/click", **{"as": ALICE_ID}, message_id=private["id"], custom_id="x"
    )
    assert status == 400 and answer["error"] == "That message is gone."


async def test_open_pages_hear_of_every_change(page: Client) -> None:
    session, _ = page
    async with session.get("/api/events") as events:
        first = await asyncio.wait_for(events.content.readline(), 10)
        assert first.startswith(b"data: ")
        await events.content.readline()  # the blank line ending the event
        await start(page, "@livename")
        line = b""
        while not line.startswith(b"data: "):
            line = await asyncio.wait_for(events.content.readline(), 10)
        assert int(line.split()[1]) > int(first.split()[1])


async def test_the_page_is_served_from_the_package_only(page: Client) -> None:
    session, web_page = page
    async with session.get("/") as response:
        html = await response.text()
        assert response.status == 200 and "/static/app.js" in html
        # Nothing is fetched from outside: no absolute URLs in the page or its scripts.
        assert "http://" not in html and "https://" not in html
    for name in ("app.js", "style.css"):
        async with session.get(f"/static/{name}") as response:
            assert response.status == 200
            body = await response.text()
            assert "://" not in body.replace("https?:", "")
    # Sent as typed (an encoded ../), so it reaches the static route rather than being
    # normalised away by the client.
    for name in ("..%2Fweb.py", "..%2F..%2F__init__.py", "web.py"):
        url = yarl.URL(f"{web_page.url}/static/{name}", encoded=True)
        async with session.get(url) as response:
            assert response.status == 404, name


async def test_with_the_api_check_a_request_off_discords_spec_is_listed_on_the_page() -> None:
    sandbox = Sandbox(check_api=True)
    web_page = SandboxPage(sandbox.emulator)
    try:
        await sandbox.start()
        await web_page.start(0)
        async with aiohttp.ClientSession(base_url=web_page.url) as session:
            client = (session, web_page)
            await start(client, "@specname")  # the bot's own requests: all within the spec
            await sandbox.emulator.flush_validation()
            assert (await state(client, ALICE_ID))["api_violations"] == []
            # A request no client should send: content must be a string.
            url = f"{sandbox.emulator.base_url}/api/v10/channels/{AUCTIONS_CHANNEL_ID}/messages"
            async with session.post(url, json={"content": 5}) as response:
                await response.read()
            await sandbox.emulator.flush_validation()
            violations = (await state(client, ALICE_ID))["api_violations"]
            assert [v["method"] for v in violations] == ["POST"], violations
            assert violations[0]["path"].endswith("/messages")
    finally:
        await web_page.stop()
        await sandbox.stop()


async def test_only_the_page_itself_may_use_the_sandbox(page: Client) -> None:
    session, web_page = page
    port = web_page.url.rsplit(":", 1)[1]
    sent = len(web_page.emulator.interactions)
    body = {"as": str(ALICE_ID), "channel_id": str(AUCTIONS_CHANNEL_ID), "name": "bid"}
    # Another website's script (its Origin), a DNS name pointed at 127.0.0.1 (its Host), and
    # a form post that needs no preflight (not JSON): all refused before anything is done.
    async with session.post(
        "/api/command", json=body, headers={"Origin": "http://evil.example"}
    ) as response:
        assert response.status == 403
    async with session.get("/api/state", params={"as": str(ALICE_ID)},
                           headers={"Host": f"rebound.example:{port}"}) as response:  # fmt: skip
        assert response.status == 403
    async with session.post(
        "/api/command", data='{"name": "bid"}', headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415
    async with session.get("/", headers={"Host": f"localhost:{port}"}) as response:
        assert response.status == 200
    assert len(web_page.emulator.interactions) == sent


async def test_what_discord_would_never_send_is_refused_before_the_bot_sees_it(
    page: Client,
) -> None:
    _, web_page = page
    posted = await start(page, "@strictname")
    sent = len(web_page.emulator.interactions)
    status, answer = await post(
        page, "/api/command", **{"as": ALICE_ID}, channel_id=AUCTIONS_CHANNEL_ID,
        name="auction", options={},
    )  # fmt: skip
    assert status == 400 and "/auction needs a subcommand: info, list" in answer["error"], answer
    for focused in (None, "amount", ["handle"]):
        status, answer = await post(
            page, "/api/autocomplete", **{"as": ALICE_ID}, channel_id=AUCTIONS_CHANNEL_ID,
            name="bid", options={"handle": "s"}, focused=focused,
        )  # fmt: skip
        assert (
            status == 400
            and "focused must name an option the bot completes: handle" in (answer["error"])
        ), (focused, answer)
    status, answer = await post(
        page, "/api/modal", **{"as": ALICE_ID}, custom_id="auction:1:modal",
        values={"amount": "5"}, message_id=posted["id"],
    )  # fmt: skip
    assert status == 400 and "never opened" in answer["error"]
    assert len(web_page.emulator.interactions) == sent


async def test_another_members_dm_cannot_be_clicked(page: Client) -> None:
    _, web_page = page
    await start(page, "@dmname")
    status, answer = await post(
        page, "/api/command", **{"as": BOB_ID},
        channel_id=web_page.emulator.dm_channel_id(BOB_ID), name="auction", subcommand="list",
    )  # fmt: skip
    assert status == 200 and answer["answered"], answer
    bobs = await state(page, BOB_ID)
    [reply] = bobs["dm"]["messages"]
    status, answer = await post(
        page, "/api/click", **{"as": ALICE_ID}, message_id=reply["id"], custom_id="x"
    )
    assert status == 400 and answer["error"] == "That message is gone."


@pytest.fixture
async def file_page() -> AsyncIterator[Client]:
    """The page on a loopback Discord whose bot, in-process, has a command taking a file."""
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    emulator = DiscordEmulator(sandbox_world())
    web_page = SandboxPage(emulator)
    try:
        async with emulator:
            point_discord_at(emulator.base_url)
            client = FileBot()
            await client.login("emulator-token")
            task = asyncio.create_task(client.connect(reconnect=True))
            try:
                await asyncio.wait_for(client.wait_until_ready(), 30)
                await client.tree.sync(guild=discord.Object(GUILD_ID))
                await web_page.start(0)
                async with aiohttp.ClientSession(base_url=web_page.url) as session:
                    yield session, web_page
            finally:
                await web_page.stop()
                await client.close()
                await asyncio.wait_for(task, 30)
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


def upload(data: bytes = CSV, filename: str = "lots.csv", **extra: Any) -> dict[str, Any]:
    return {"filename": filename, "data": base64.b64encode(data).decode(), **extra}


async def test_a_file_goes_to_the_bot_and_its_answers_files_download(file_page: Client) -> None:
    session, web_page = file_page
    status, answer = await post(
        file_page, "/api/command", **{"as": ALICE_ID}, channel_id=AUCTIONS_CHANNEL_ID,
        name="import", options={}, attachments={"file": upload(content_type="text/csv")},
    )  # fmt: skip
    assert status == 200 and answer["answered"], answer
    resolved = web_page.emulator.interactions[-1].payload["data"]["resolved"]["attachments"]
    [uploaded] = resolved.values()
    assert (uploaded["filename"], uploaded["content_type"]) == ("lots.csv", "text/csv")
    stored = web_page.emulator.attachment(int(uploaded["id"]))
    assert stored is not None and stored.content == CSV

    async def answered() -> list[dict[str, Any]]:
        return [m for m in auctions(await state(file_page, ALICE_ID)) if m["attachments"]]

    original, followup = await until(answered)
    [result] = original["attachments"]
    assert result["filename"] == "result.csv"
    async with session.get(
        f"/api/attachments/{original['id']}/{result['id']}", params={"as": str(ALICE_ID)}
    ) as response:
        assert response.status == 200
        assert await response.read() == CSV.upper()
        assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''result.csv"
        assert response.headers["Content-Type"] == "application/octet-stream"
    # A file of another message, or of none, is not served under this one.
    note = followup["attachments"][0]["id"]
    for path in (f"{original['id']}/{note}", f"{original['id']}/1"):
        async with session.get(
            f"/api/attachments/{path}", params={"as": str(ALICE_ID)}
        ) as response:
            assert response.status == 404, path


async def test_a_file_that_cannot_be_sent_is_refused_and_nothing_is_sent(
    file_page: Client,
) -> None:
    _, web_page = file_page
    sent = len(web_page.emulator.interactions)
    cases: list[tuple[Any, str]] = [
        (
            {"file": {**upload(), "data": "not base64!"}},
            "file: the file's data is not valid base64",
        ),
        ({"file": {**upload(), "data": "QUJD\nREVG"}}, "not valid base64"),
        ({"file": upload(b"x" * (1024 * 1024 + 1))}, "lots.csv is over 1 MiB"),
        ({"file": {**upload(), "data": "A" * 1_500_000}}, "lots.csv is over 1 MiB"),
        ({"file": upload(b"")}, "lots.csv is empty"),
        ({"file": upload(filename="../etc/passwd")}, "a file name is 1 to 100 letters"),
        ({"file": upload(filename=".env")}, "a file name is 1 to 100 letters"),
        ({"file": upload(filename="a\x00.csv")}, "a file name is 1 to 100 letters"),
        ({"file": upload(filename="x" * 101)}, "a file name is 1 to 100 letters"),
        ({"file": upload(filename=5)}, "a file name is 1 to 100 letters"),
        ({"file": upload(content_type="text/html; x=<b>")}, "content_type must look like"),
        ({"file": {**upload(), "path": "/tmp/x"}}, "file must be a file: its filename"),
        ({"file": "lots.csv"}, "file must be a file: its filename"),
        (["lots.csv"], "attachments must map each file option's name"),
        ({"other": upload()}, "There is no option 'other'"),
        ({}, "file is required"),
    ]
    for attachments, error in cases:
        status, answer = await post(
            file_page, "/api/command", **{"as": ALICE_ID}, channel_id=AUCTIONS_CHANNEL_ID,
            name="import", options={}, attachments=attachments,
        )  # fmt: skip
        assert status == 400 and error in answer["error"], (attachments, answer)
    status, answer = await post(
        file_page, "/api/command", **{"as": ALICE_ID}, channel_id=AUCTIONS_CHANNEL_ID,
        name="import", options={"file": "lots.csv"},
    )  # fmt: skip
    assert status == 400 and "file must be a file, chosen with its field" in answer["error"]
    assert len(web_page.emulator.interactions) == sent

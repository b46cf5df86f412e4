"""When ``answer`` defers: a pure function of the interaction's age, and the one response
or the defer and follow-up it leads to. Nothing here waits on a clock: the work is finished
or held back by the test, and the timing policy is passed in."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.domain.errors import AlreadyHandled
from bot.interactions import current
from bot.interface.errors import report_error
from bot.interface.replies import (
    DEFER_MARGIN,
    RECEIVED_AT,
    RESPONSE_DEADLINE,
    Reply,
    defer_delay,
    interaction_age,
    mark_received,
    respond_in_time,
)

DEFER_POINT = RESPONSE_DEADLINE - DEFER_MARGIN


# -- the interaction's age ---------------------------------------------------------------------


def test_age_from_the_snowflake_when_it_was_received_later() -> None:
    # Created 1.5 s ago by both clocks, read from the socket 0.2 s ago (it queued behind others).
    assert interaction_age(1000.0, 99.8, now=100.0, wall_now=1001.5) == pytest.approx(1.5)


def test_age_from_the_receipt_when_this_hosts_clock_is_behind_discords() -> None:
    # The snowflake says 0.1 s, but the bot has held it for 2 s: it is at least 2 s old.
    assert interaction_age(1000.0, 98.0, now=100.0, wall_now=1000.1) == pytest.approx(2.0)


def test_a_snowflake_from_the_future_is_bounded_by_the_receipt() -> None:
    assert interaction_age(1005.0, 99.5, now=100.0, wall_now=1000.0) == pytest.approx(0.5)


def test_a_host_clock_ahead_of_discords_makes_it_older_so_it_defers_early() -> None:
    age = interaction_age(1000.0, 99.9, now=100.0, wall_now=1001.0)  # really 0.1 s
    assert age == pytest.approx(1.0)
    delay = defer_delay(age)
    assert delay is not None and delay < DEFER_POINT - 0.1


def test_age_without_a_receipt() -> None:
    assert interaction_age(1000.0, None, now=5.0, wall_now=1000.25) == pytest.approx(0.25)


def test_the_receipt_is_noted_once() -> None:
    interaction = SimpleNamespace(extras={})
    mark_received(interaction)
    first = interaction.extras[RECEIVED_AT]
    mark_received(interaction)
    assert interaction.extras[RECEIVED_AT] == first


# -- when to defer -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0.0, DEFER_POINT),  # just arrived: the whole time up to the defer point
        (1.0, DEFER_POINT - 1.0),  # waited in a backlog: less time, from arrival
        (DEFER_POINT, 0.0),  # at the defer point: defer at once
        (RESPONSE_DEADLINE - 0.1, 0.0),  # a defer may still land in time
        (-0.5, DEFER_POINT + 0.5),  # a snowflake slightly ahead of this clock
    ],
)
def test_defer_delay_counts_from_arrival(age: float, expected: float) -> None:
    assert defer_delay(age) == pytest.approx(expected)


@pytest.mark.parametrize("age", [RESPONSE_DEADLINE, RESPONSE_DEADLINE + 0.01, 60.0])
def test_no_defer_once_the_deadline_has_passed(age: float) -> None:
    assert defer_delay(age) is None


def test_deadline_and_margin_are_parameters() -> None:
    assert defer_delay(1.0, deadline=10.0, margin=2.0) == pytest.approx(7.0)
    assert defer_delay(10.0, deadline=10.0, margin=2.0) is None


# -- what reaches Discord ----------------------------------------------------------------------


def unknown_interaction() -> discord.NotFound:
    response = SimpleNamespace(status=404, reason="Not Found")
    return discord.NotFound(response, {"code": 10062, "message": "Unknown interaction"})


@dataclass
class FakeResponse:
    calls: list[str]
    fail: dict[str, Exception] = field(default_factory=dict)
    done: bool = False

    def is_done(self) -> bool:
        return self.done

    async def defer(self, *, ephemeral: bool, thinking: bool) -> None:
        self.calls.append("defer")
        if "defer" in self.fail:
            raise self.fail["defer"]
        self.done = True

    async def send_message(self, **kwargs: Any) -> None:
        self.calls.append(f"response:{kwargs['content']}")
        if "response" in self.fail:
            raise self.fail["response"]
        self.done = True


@dataclass
class FakeFollowup:
    calls: list[str]

    async def send(self, **kwargs: Any) -> None:
        self.calls.append(f"followup:{kwargs['content']}")


class FakeInteraction:
    def __init__(self, **fail: Exception) -> None:
        self.calls: list[str] = []
        self.response = FakeResponse(self.calls, fail)
        self.followup = FakeFollowup(self.calls)
        self.id = 1
        self.user = SimpleNamespace(id=2)
        self.extras: dict[str, Any] = {}
        self.created_at = datetime.now(UTC)
        self.command = None
        self.type = discord.InteractionType.component
        self.data = {"custom_id": "auction:1:quick:100"}


def finished(text: str) -> asyncio.Future[Reply]:
    future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    future.set_result(Reply(content=text))
    return future


def policy(*delays: float | None) -> Any:
    """A timing policy answering ``delays`` in turn (the last one from then on)."""
    answers = list(delays)

    def delay(interaction: object) -> float | None:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return delay


async def test_a_reply_ready_in_time_is_the_one_response() -> None:
    interaction = FakeInteraction()
    await respond_in_time(interaction, finished("ok"), policy(3600.0))
    assert interaction.calls == ["response:ok"]


async def test_a_slow_reply_is_deferred_then_followed_up() -> None:
    interaction = FakeInteraction()
    work: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    running = asyncio.create_task(respond_in_time(interaction, work, policy(0.0)))
    await asyncio.sleep(0)
    while not interaction.calls:
        await asyncio.sleep(0)
    assert interaction.calls == ["defer"]  # before the work is done
    work.set_result(Reply(content="late but fine"))
    await running
    assert interaction.calls == ["defer", "followup:late but fine"]


async def test_past_the_deadline_it_does_not_defer_but_still_tries_the_one_response() -> None:
    interaction = FakeInteraction()
    work: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    running = asyncio.create_task(respond_in_time(interaction, work, policy(None)))
    for _ in range(5):
        await asyncio.sleep(0)
    assert interaction.calls == []
    work.set_result(Reply(content="one try"))
    await running
    assert interaction.calls == ["response:one try"]


async def test_woken_after_the_deadline_it_does_not_defer() -> None:
    # The event loop ran the handler late: at the defer point the deadline had passed too.
    interaction = FakeInteraction()
    work: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    running = asyncio.create_task(respond_in_time(interaction, work, policy(0.0, None)))
    for _ in range(5):
        await asyncio.sleep(0)
    work.set_result(Reply(content="one try"))
    await running
    assert interaction.calls == ["response:one try"]


async def test_a_response_discord_refuses_as_too_late_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    interaction = FakeInteraction(response=unknown_interaction())
    with caplog.at_level(logging.WARNING, logger="bot.interface.replies"):
        await respond_in_time(interaction, finished("lost"), policy(None))
    assert interaction.calls == ["response:lost"]
    assert "expired before it could be answered" in caplog.text


async def test_a_late_defer_lets_the_work_finish_and_sends_nothing_more(
    caplog: pytest.LogCaptureFixture,
) -> None:
    interaction = FakeInteraction(defer=unknown_interaction())
    work: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    running = asyncio.create_task(respond_in_time(interaction, work, policy(0.0)))
    while not interaction.calls:
        await asyncio.sleep(0)
    work.set_result(Reply(content="stored anyway"))
    with caplog.at_level(logging.WARNING, logger="bot.interface.replies"):
        await running
    assert interaction.calls == ["defer"]
    assert "expired before it could be deferred" in caplog.text


async def test_other_http_errors_still_reach_the_error_handler() -> None:
    response = SimpleNamespace(status=404, reason="Not Found")
    other = discord.NotFound(response, {"code": 10008, "message": "Unknown Message"})
    interaction = FakeInteraction(response=other)
    with pytest.raises(discord.NotFound):
        await respond_in_time(interaction, finished("x"), policy(None))


async def test_an_error_in_the_work_reaches_the_error_handler_undeferred() -> None:
    interaction = FakeInteraction()
    work: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    work.set_exception(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        await respond_in_time(interaction, work, policy(3600.0))
    assert interaction.calls == []


# -- another process received the same interaction ---------------------------------------------


def already_acknowledged() -> discord.HTTPException:
    response = SimpleNamespace(status=400, reason="Bad Request")
    return discord.HTTPException(
        response, {"code": 40060, "message": "Interaction has already been acknowledged."}
    )


async def applied(text: str, *, wrote: bool = True) -> Reply:
    """The work of a handler; with ``wrote``, one of its writes took effect in this process
    (as the store marks it once the write's key was claimed and committed)."""
    state = current()
    assert state is not None, "the work runs under the interaction's key"
    assert state.interaction_id == 1
    state.took_effect = wrote
    return Reply(content=text)


async def test_the_work_runs_under_the_interactions_key() -> None:
    interaction = FakeInteraction()
    await respond_in_time(interaction, applied("ok"), policy(3600.0))
    assert current() is None  # not beyond the interaction
    assert interaction.calls == ["response:ok"]


async def test_answered_elsewhere_first_but_applied_here_it_follows_up() -> None:
    # The other process was refused (AlreadyHandled) after its defer landed: this process's
    # answer fills the other's "thinking" message through the webhook.
    interaction = FakeInteraction(response=already_acknowledged())
    await respond_in_time(interaction, applied("bid placed"), policy(3600.0))
    assert interaction.calls == ["response:bid placed", "followup:bid placed"]


async def test_answered_and_applied_elsewhere_it_stays_silent() -> None:
    interaction = FakeInteraction(response=already_acknowledged())
    await respond_in_time(interaction, applied("a read", wrote=False), policy(3600.0))
    assert interaction.calls == ["response:a read"]


async def test_a_defer_refused_as_acknowledged_elsewhere_lets_the_work_answer() -> None:
    interaction = FakeInteraction(defer=already_acknowledged(), response=already_acknowledged())
    work: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()

    async def slow() -> Reply:
        await work
        return await applied("stored here")

    running = asyncio.create_task(respond_in_time(interaction, slow(), policy(0.0)))
    while not interaction.calls:
        await asyncio.sleep(0)
    work.set_result(Reply())
    await running
    assert interaction.calls == ["defer", "response:stored here", "followup:stored here"]


async def test_already_handled_elsewhere_sends_nothing() -> None:
    interaction = FakeInteraction()

    async def refused() -> Reply:
        raise AlreadyHandled(1, 1)

    with pytest.raises(AlreadyHandled):
        await respond_in_time(interaction, refused(), policy(3600.0))
    await report_error(interaction, AlreadyHandled(1, 1))  # type: ignore[arg-type]
    assert interaction.calls == []


async def test_an_error_whose_answer_another_process_gave_is_not_reported() -> None:
    # e.g. both opened the bid dialog: Discord showed the other's.
    interaction = FakeInteraction()
    await report_error(interaction, already_acknowledged())  # type: ignore[arg-type]
    assert interaction.calls == []

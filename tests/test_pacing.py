"""The request pace, on a clock the test moves: no test here depends on the machine's speed."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery.pacing import RequestPace, request_share


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_a_burst_goes_at_once_and_the_rest_at_the_pace() -> None:
    time = FakeTime()
    pace = RequestPace(10, burst=5, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(25):
        await pace.acquire()
    assert time.slept[:1] == [0.1]  # the sixth request waited for a token
    assert len(time.slept) == 20
    assert time.now == pytest.approx(2.0)  # 20 requests beyond the burst, at 10 a second


async def test_an_idle_pace_refills_up_to_the_burst_only() -> None:
    time = FakeTime()
    pace = RequestPace(10, burst=3, monotonic=time.monotonic, sleep=time.sleep)
    time.now = 3600.0  # an hour idle does not bank an hour of requests
    for _ in range(4):
        await pace.acquire()
    assert time.slept == [pytest.approx(0.1)]


async def test_concurrent_waiters_share_the_pace() -> None:
    time = FakeTime()
    pace = RequestPace(20, burst=1, monotonic=time.monotonic, sleep=time.sleep)
    await asyncio.gather(*(pace.acquire() for _ in range(41)))
    assert time.now == pytest.approx(2.0)  # 40 waits of 1/20 s, never two turns at once


def test_a_pace_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RequestPace(0)


@pytest.mark.parametrize(
    ("per_second", "processes", "share"), [(40, 1, 40), (40, 3, 13), (50, 4, 12), (2, 5, 1)]
)
def test_each_process_keeps_to_its_share_of_the_bot_s_requests(
    per_second: int, processes: int, share: int
) -> None:
    assert request_share(per_second, processes) == share

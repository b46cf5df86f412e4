"""The failures a bot must survive, injected on request by a test.

Rate limits per route (``set_rate_limit``: 429s once a route's window is used up, with or
without X-RateLimit-* headers on the answers before), one-off error answers (``fail_next``),
and the things moderators and networks do: deleting a message or a channel, dropping every
gateway connection. The routing in emulator.py consults ``_injected_failure`` and
``_rate_limit`` before a request reaches its handler.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass, field

from bot.sandbox.base import log
from bot.sandbox.gateway import GatewayServer
from bot.sandbox.replies import JSON, Reply, Route, too_many_requests


@dataclass
class RateRule:
    """``limit`` requests per ``window`` seconds on one route, counted per major parameter."""

    limit: int
    window: float
    send_headers: bool
    windows: dict[str, tuple[float, int]] = field(
        default_factory=dict
    )  # major param -> start, count


@dataclass
class FailRule:
    """The next ``times`` requests matching ``method`` and ``pattern`` get this error answer."""

    method: str
    pattern: re.Pattern[str]
    times: int
    status: int
    code: int
    message: str | None
    retry_after: float


class FaultInjection(GatewayServer):
    """Rate limits, injected error answers, deleted messages and channels, dropped sockets."""

    _rate_rules: dict[tuple[str, str], RateRule]
    _fail_rules: list[FailRule]
    _deleted_channels: dict[int, JSON]  # channel id -> its last state

    # --- set by a test ---

    def fail_next(
        self,
        method: str,
        path: str,
        *,
        times: int = 1,
        status: int = 500,
        code: int = 0,
        message: str | None = None,
        retry_after: float = 0.2,
    ) -> None:
        """Answer the next ``times`` requests whose path fully matches the regex ``path``
        (relative to /api/v10) with ``status``/``code``. A 429 is a proper Discord 429."""
        rule = FailRule(method.upper(), re.compile(path), times, status, code, message, retry_after)
        self._fail_rules.append(rule)

    def set_rate_limit(
        self, method: str, route: str, *, limit: int, window: float = 5.0, send_headers: bool = True
    ) -> None:
        """Allow ``limit`` requests per ``window`` seconds on a route template such as
        ``/channels/{channel_id}/messages``, per major parameter (channel, webhook, guild).
        With ``send_headers`` successful answers carry X-RateLimit-* headers, which discord.py
        uses to wait pre-emptively; without them the bot only learns from 429s."""
        if not any(r.method == method.upper() and r.template == route for r in self._routes):
            raise ValueError(f"no such route: {method} {route}")
        self._rate_rules[(method.upper(), route)] = RateRule(limit, window, send_headers)

    def clear_rate_limits(self) -> None:
        self._rate_rules.clear()

    def delete_message(self, message_id: int) -> None:
        """Delete a message, as a moderator would: later edits and fetches get 404, code 10008."""
        self._messages[message_id].deleted = True

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a guild text channel, as an admin would: connected bots get CHANNEL_DELETE,
        and every later request on the channel (its messages too) gets 404, code 10003."""
        self.forget_channel(channel_id)
        await self.dispatch("CHANNEL_DELETE", self._deleted_channels[channel_id])

    def forget_channel(self, channel_id: int) -> None:
        """The REST half of ``delete_channel``, for a request hook (which cannot await): the
        channel is gone from here on; ``delete_channel`` later also tells the gateway."""
        if channel_id not in self._deleted_channels:
            self._deleted_channels[channel_id] = self._channels.pop(channel_id)

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway connection (4000 lets discord.py resume)."""
        for conn in list(self._conns):
            conn.ready = False
            try:
                await asyncio.wait_for(conn.ws.close(code=code), 2.0)
            except (TimeoutError, ConnectionError):
                log.debug("gateway connection did not close cleanly")

    # --- applied to each request ---

    def _injected_failure(self, route: Route, path: str) -> Reply | None:
        """The answer of the first ``fail_next`` rule still armed for this request, if any."""
        for rule in self._fail_rules:
            if rule.times > 0 and rule.method == route.method and rule.pattern.fullmatch(path):
                rule.times -= 1
                if rule.status == 429:
                    return too_many_requests(rule.retry_after, 1, None)
                return Reply.error(rule.status, rule.code, rule.message)
        return None

    def _rate_limit(self, route: Route, major: str) -> tuple[Reply | None, dict[str, str]]:
        rule = self._rate_rules.get((route.method, route.template))
        if rule is None:
            return None, {}
        now = time.monotonic()
        start, count = rule.windows.get(major, (now, 0))
        if now - start >= rule.window:
            start, count = now, 0
        reset_after = rule.window - (now - start)
        bucket = hashlib.sha1(f"{route.method} {route.template}".encode()).hexdigest()[:16]
        if count >= rule.limit:
            return too_many_requests(reset_after, rule.limit, bucket), {}
        rule.windows[major] = (start, count + 1)
        if not rule.send_headers:
            return None, {}
        return None, {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(rule.limit - count - 1),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

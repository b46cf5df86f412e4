"""Hands the events of each committed transaction to the subscribers the composition root
listed. Subscribers run right after the commit, on the event loop, and must be quick (mark
something dirty, move a timer, wake a task); one that fails is logged with the event and
never stops the others."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from bot.domain.events import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)


class MessageBus:
    def __init__(self) -> None:
        self._handlers: defaultdict[type[Event], list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].append(handler)

    def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            for handler in self._handlers.get(type(event), ()):
                try:
                    handler(event)
                except Exception:
                    log.exception("%s failed to handle %r", _name(handler), event)


def _name(handler: Callable[..., Any]) -> str:
    return getattr(handler, "__qualname__", repr(handler))

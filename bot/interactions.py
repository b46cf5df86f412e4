"""Which interaction the current write belongs to, so that each interaction takes effect once.

Discord lets two gateway sessions identify as the same shard, and then both receive every
interaction of its servers; two bot processes would both apply it. So the interface layer
handles each interaction inside ``handling(...)``, and every write the store is handed
meanwhile claims the key ``(interaction id, n)`` for the n-th write of that interaction, in
the write's own transaction. The process second to a key gets ``AlreadyHandled`` for that
write and changes nothing; the first one's answer is the answer.

A context variable rather than a parameter: the key belongs to the request, not to any use
case, and use cases stay the same whether a member, a timer or a sweep calls them. asyncio
copies the context into tasks created while handling, so background work must not be
started from inside ``handling`` (the store starts its writer task in a fresh context).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class InteractionKey:
    """What one write of an interaction claims: its id, and which of its writes this is."""

    interaction_id: int
    seq: int
    at: datetime  # when the interaction was created: old keys are pruned by it


@dataclass(slots=True)
class Handling:
    """One interaction being handled by this process."""

    interaction_id: int
    created_at: datetime
    writes: int = 0  # keys handed out so far
    # A write of this interaction claimed its key here: this process, not another one that
    # received the same interaction, is the one whose answer the member must see.
    took_effect: bool = False

    def next_key(self) -> InteractionKey:
        self.writes += 1
        return InteractionKey(self.interaction_id, self.writes, self.created_at)


_current: ContextVar[Handling | None] = ContextVar("interaction_being_handled", default=None)


@contextlib.contextmanager
def handling(interaction_id: int, created_at: datetime) -> Iterator[Handling]:
    """Key the writes made in this context by ``interaction_id`` (numbered from 1 in order).
    Entered again for the same interaction, it goes on counting where the outer one is."""
    outer = _current.get()
    if outer is not None and outer.interaction_id == interaction_id:
        yield outer
        return
    state = Handling(interaction_id, created_at)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def current() -> Handling | None:
    """The interaction being handled in this context, if any."""
    return _current.get()

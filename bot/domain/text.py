"""Helpers for quoting what users typed back to them inside messages."""

from __future__ import annotations


def quote(text: str, limit: int = 40) -> str:
    """A short, single-line, backtick-free copy of user text, safe inside a `code span`."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

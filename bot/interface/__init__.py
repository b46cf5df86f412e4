"""The Discord side of the core: replies and the one error policy, the post's buttons and
dialog, rendering, and delivery to Discord (the outbox's sender and the post editor).

Like ``bot/client.py`` and ``bot/__main__.py``, this package may import discord; the rest of
``bot/`` may not."""

"""The REST handlers, one module per resource: application, messages, interactions.

Each handler takes a ``Call`` and returns a ``Reply`` (bot/sandbox/replies.py); the route
table that maps Discord's paths to them is ``DiscordEmulator._build_routes``.
"""

"""Delivery: the outbox dispatcher and what a failed delivery means."""

"""Handle auction bot: the core (domain, storage, scheduling, service) and its composition root."""

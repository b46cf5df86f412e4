"""The use cases, one module per reason to change, and ``AuctionHouse``, the facade the
Discord layer calls."""

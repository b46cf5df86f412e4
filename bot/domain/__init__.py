"""Pure auction rules and values. No I/O, no Discord; every time is passed in as ``now``."""

"""English word frequencies for the valuation hints, from the ``wordfreq`` library.

wordfreq and its word lists load on first use, so importing this module costs nothing;
call ``warm()`` at start-up to pay that cost before the first moderator asks.
"""

from __future__ import annotations

from functools import lru_cache

# Handles are few and repeat (every look at a listing values it again); this bounds the memory.
_CACHE_SIZE = 65536


@lru_cache(maxsize=_CACHE_SIZE)
def english_zipf(word: str) -> float:
    """The Zipf frequency of ``word`` in English: about 7 for 'the', 0 for a non-word."""
    from wordfreq import zipf_frequency  # noqa: PLC0415, TID251 - loaded on first use

    return zipf_frequency(word, "en")


def warm() -> None:
    """Load wordfreq's English list now rather than on the first look-up."""
    from wordfreq import zipf_frequency  # noqa: PLC0415, TID251 - loaded on first use

    zipf_frequency("the", "en")

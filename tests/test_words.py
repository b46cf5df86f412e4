"""The wordfreq adapter, against wordfreq's real English list."""

from __future__ import annotations

import subprocess
import sys

from bot.words import english_zipf, warm


def test_a_word_is_more_frequent_than_a_non_word() -> None:
    assert english_zipf("house") > english_zipf("xqzv")


def test_the_is_very_common() -> None:
    warm()
    assert english_zipf("the") >= 5


def test_importing_the_module_does_not_load_wordfreq() -> None:
    code = "import sys, bot.words; assert 'wordfreq' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)

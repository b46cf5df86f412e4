"""Money modes and trust tiers: the pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import BidRefused, InvalidInput
from bot.domain.money import Currency
from bot.domain.payments import (
    MAX_TIERS,
    MoneyMode,
    TrustLimits,
    TrustTier,
    format_tiers,
    money_mode,
    parse_tiers,
)
from bot.domain.settings import ServerSettings, effective

VERIFIED, TRUSTED = 111, 222
LIMITS = TrustLimits((TrustTier(50_000, TRUSTED), TrustTier(10_000, VERIFIED)))


def test_a_bid_above_a_tier_without_its_role_is_refused_naming_role_and_amount() -> None:
    with pytest.raises(BidRefused) as info:
        LIMITS.check(frozenset(), 10_001, Currency())
    assert str(info.value) == (
        "Bids above 10,000 credits need the <@&111> role; you can bid up to 10,000 credits "
        "without it."
    )


def test_the_first_tier_crossed_is_named() -> None:
    with pytest.raises(BidRefused, match="above 50,000 credits need the <@&222>"):
        LIMITS.check(frozenset({VERIFIED}), 60_000, Currency())


def test_amounts_up_to_a_tier_and_holders_of_its_role_pass() -> None:
    LIMITS.check(frozenset(), 10_000, Currency())
    LIMITS.check(frozenset({VERIFIED}), 50_000, Currency())
    LIMITS.check(frozenset({VERIFIED, TRUSTED}), 10**12, Currency())


@given(
    tiers=st.lists(
        st.tuples(st.integers(1, 10**9), st.integers(1, 50)),
        max_size=MAX_TIERS,
        unique_by=lambda t: t[0],
    ),
    roles=st.frozensets(st.integers(1, 50)),
    amount=st.integers(1, 10**10),
)
def test_a_bid_passes_exactly_when_it_is_within_the_members_limit(
    tiers: list[tuple[int, int]], roles: frozenset[int], amount: int
) -> None:
    limits = TrustLimits(tuple(TrustTier(a, r) for a, r in tiers))
    allowed = all(amount <= a or r in roles for a, r in tiers)
    assert (limits.refusal(roles, amount, Currency()) is None) == allowed
    assert parse_tiers(format_tiers(limits)) == limits


def test_tiers_are_added_replaced_and_removed_by_amount() -> None:
    limits = TrustLimits().with_tier(TrustTier(10_000, VERIFIED)).with_tier(TrustTier(10_000, 9))
    assert limits.tiers == (TrustTier(10_000, 9),)
    assert limits.without(10_000) == TrustLimits()
    with pytest.raises(InvalidInput, match="no trust tier at 5"):
        limits.without(5)
    full = TrustLimits(tuple(TrustTier(i + 1, 1) for i in range(MAX_TIERS)))
    with pytest.raises(InvalidInput, match="at most 10 trust tiers"):
        full.with_tier(TrustTier(99, 1))


def test_money_mode_names_the_choices() -> None:
    assert money_mode(" Wallet ", "`money.mode`") is MoneyMode.WALLET
    with pytest.raises(InvalidInput, match="must be one of none, wallet, pledge, not 'cash'"):
        money_mode("cash", "`money.mode`")


def test_money_settings_are_server_overrides() -> None:
    settings = effective(
        ServerSettings(),
        {"money.mode": "pledge", "money.offer_deadline": "3h", "limits.tiers": "100:5"},
        strict=True,
    )
    assert settings.payments.mode is MoneyMode.PLEDGE
    assert settings.payments.offer_deadline.total_seconds() == 3 * 3600
    assert settings.limits.tiers == (TrustTier(100, 5),)
    with pytest.raises(InvalidInput, match="at least 1m"):
        effective(ServerSettings(), {"money.payment_deadline": "30s"}, strict=True)

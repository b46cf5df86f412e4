from __future__ import annotations

from datetime import UTC, datetime

from bot.auctions.wallet import HistoryPage, WalletChange, WalletView
from bot.domain.ledger import REVENUE, SOURCE, Account, Balance, Entry, Hold, Movement
from bot.domain.money import Currency
from bot.domain.payments import MoneyMode
from bot.interface.wallet_rendering import change_text, entry_line, history_embed, wallet_embed

AT = datetime(2026, 5, 1, tzinfo=UTC)
GEMS = Currency("gems")


def entry(movement: Movement, amount: int, reason: str, handle: str | None = None) -> Entry:
    sides = {
        Movement.GRANT: (SOURCE, Account.wallet(5)),
        Movement.HOLD: (Account.wallet(5), Account.hold(5, 9)),
        Movement.CAPTURE: (Account.hold(5, 9), REVENUE),
    }
    debit, credit = sides[movement]
    auction = 9 if handle is not None else None
    return Entry(1, 1, movement, debit, credit, amount, 5, auction, None, reason, AT, handle)


def test_movements_read_as_the_member_sees_them_and_reasons_are_literal() -> None:
    assert entry_line(entry(Movement.GRANT, 1_000, "@everyone *prize*"), GEMS) == (
        "<t:1777593600:d> · **+1,000 gems** credited (@\u200beveryone \\*prize\\*)"
    )
    assert "50 gems held for @og" in entry_line(entry(Movement.HOLD, 50, "bid", "og"), GEMS)
    assert "**40 gems** paid for @og" in entry_line(entry(Movement.CAPTURE, 40, "won", "og"), GEMS)


def test_the_wallet_shows_balance_holds_and_what_the_mode_means() -> None:
    balance = Balance(1_250, (Hold(3, 2_000, "one"), Hold(4, 1_000, "two")))
    view = WalletView(
        5, balance, [entry(Movement.GRANT, 4_250, "start")], 7, GEMS, MoneyMode.WALLET
    )
    shown = wallet_embed(view).to_dict()
    assert shown["description"] == (
        "**Balance:** 4,250 gems\n**Held:** 3,000 gems (in 2 auctions)\n**Available:** 1,250 gems"
    )
    fields = {f["name"]: f["value"] for f in shown["fields"]}
    assert fields["Held for your leading bids"] == "@one · 2,000 gems\n@two · 1,000 gems"
    assert "start" in fields["Latest movements"]
    assert shown["footer"]["text"] == "7 movements in all: /wallet show:history"
    # A server not in wallet mode, and nothing in the ledger: said plainly.
    nothing = WalletView(5, Balance(0), [], 0, GEMS, MoneyMode.PLEDGE)
    assert "money mode is pledge" in str(wallet_embed(nothing).description)
    # Credits granted ahead of a switch are still shown, with a word on the mode.
    funded = WalletView(5, Balance(10), [], 1, GEMS, MoneyMode.NONE)
    assert "not paid from wallets for now" in str(wallet_embed(funded).description)


def test_history_pages_and_change_replies() -> None:
    page = HistoryPage(5, [entry(Movement.GRANT, 3, "x")], 11, 1, 2, GEMS)
    assert history_embed(page).to_dict()["footer"]["text"] == "Page 2 of 2 · 11 movement(s)"
    assert history_embed(HistoryPage(5, [], 0, 0, 1, GEMS)).description == "No movements yet."
    change = WalletChange(5, Movement.REVOKE, 10, Balance(90, (Hold(1, 5),)), GEMS, 1)
    assert (
        change_text(change)
        == "Debited 10 gems from <@5>: they now have 90 gems available, 5 gems held."
    )


def test_long_reasons_and_handles_stay_within_discords_embed_limits() -> None:
    # Reasons may be 300 characters, and escaping can double them: Discord refuses an
    # embed with a field over 1,024 characters, a description over 4,096 or 6,000 in all,
    # and the member would get no wallet at all.
    worst = "*_" * 150
    long = [entry(Movement.GRANT, 10**12, worst) for _ in range(5)]
    holds = tuple(Hold(i, 10**12, "_" * 64) for i in range(12))
    view = WalletView(5, Balance(10**12, holds), long, 40, GEMS, MoneyMode.WALLET)
    shown = wallet_embed(view)
    assert all(len(f.value or "") <= 1024 for f in shown.fields)
    assert len(shown) <= 6000
    fields = {f.name: f.value or "" for f in shown.fields}
    assert fields["Latest movements"].count("credited") >= 1
    assert "more" in fields["Held for your leading bids"]
    page = HistoryPage(5, [entry(Movement.GRANT, 10**12, worst) for _ in range(10)], 40, 0, 4, GEMS)
    history = history_embed(page)
    assert len(history.description or "") <= 4096
    assert len(history) <= 6000
    # Every movement of the page is still listed, its reason shortened.
    assert (history.description or "").count("credited") == 10

"""Links dressed as a well-known site: the name read, letters that pass for each other, one
edit away, and what the engine does with each (acted on, to review, allowed by a community)."""

from hypothesis import given
from hypothesis import strategies as st

from bot.core import CommunityPolicy
from bot.core.lookalike import (
    HOLDS, NEAR, SAME, alike, compile_brands, one_edit, registrable_name, resembles,
)

BRANDS = compile_brands(["discord", "steamcommunity", "vietcombank", "bidv"])


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (changes, additions, drops, neighbours swapped)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abcd", max_size=7), st.text("abcd", max_size=7))
def test_one_edit_agrees_with_the_distance(a, b):
    assert one_edit(a, b) == (_distance(a, b) <= 1)


def test_the_registrable_name_is_read():
    assert registrable_name("www.vietcombank.com.vn") == "vietcombank"
    assert registrable_name("a.b.discord-gift.ru") == "discord-gift"
    assert registrable_name("discordpy.readthedocs.io") == "readthedocs"
    assert registrable_name("localhost") == "localhost"


def test_letters_that_pass_for_each_other_read_alike():
    assert alike("dlscord") == alike("discord") == alike("disc0rd")
    assert alike("stearncommunity") == alike("steamcommunity")
    assert alike("steam-community") == alike("steamcommunity")


def test_one_letter_off_is_near_and_a_longer_name_holds_it():
    assert resembles("steamcommunlty.com", BRANDS) == NEAR
    assert resembles("dlscord.com", BRANDS) == NEAR
    # the brand's own name elsewhere: its sites abroad as often as a copy
    assert resembles("discord.ru", BRANDS) == SAME
    assert resembles("vietcombank.com.au", BRANDS) == SAME
    assert resembles("disc0rd.ru", BRANDS) == NEAR
    assert resembles("vietc0mbank.com", BRANDS) == NEAR
    assert resembles("discord-gift.ru", BRANDS) == HOLDS
    assert resembles("vietcombank-xacthuc.com", BRANDS) == HOLDS
    # a short brand is never near by one letter ("bidv" and "bida"), only held whole
    assert resembles("bida.vn", BRANDS) is None
    assert resembles("bidv-online.com", BRANDS) == HOLDS
    for host in ("discourse.org", "steamdb.info", "readthedocs.io", "google.com", "discover.com"):
        assert resembles(host, BRANDS) is None, host


def _lookalike(verdict):
    return [(h.rule_id, h.confidence) for h in verdict.hits if h.rule_id == "links.lookalike"]


def test_the_engine_acts_on_a_near_name_and_reviews_a_held_one(engine):
    assert _lookalike(engine.check("free nitro https://dlscord.com/gift/abc")) == [
        ("links.lookalike", 0.8)]
    assert _lookalike(engine.check("nhận quà tại https://discord-gift.ru/claim")) == [
        ("links.lookalike", 0.5)]
    # the brand's own name under a domain not listed: to review
    assert _lookalike(engine.check("https://discord.ru/login")) == [("links.lookalike", 0.5)]
    # (Shopee's shop in Malaysia was acted on as a lookalike of Shopee: its sites abroad are listed)
    for text in ("https://discord.com/channels/1/2", "https://discord.gift/abc",
                 "https://shopee.com.my/product/1/2", "https://shopee.co.th/abc",
                 "docs at https://discordpy.readthedocs.io/en/stable",
                 "https://www.vietcombank.com.vn/vi-VN/KHCN", "https://shope.ee/abc123"):
        assert _lookalike(engine.check(text)) == [], text


def test_a_community_that_allows_the_domain_is_not_told_otherwise(engine):
    policy = CommunityPolicy(allow_domains=frozenset({"discord-gift.ru"}))
    assert _lookalike(engine.check("https://discord-gift.ru/claim", policy=policy)) == []
    assert _lookalike(engine.check("https://dlscord.com/gift", policy=policy)) != []


@given(st.text("abcd", min_size=5, max_size=8), st.text("abcd", min_size=6, max_size=8))
def test_the_first_or_last_letter_filter_loses_no_near_name(name, brand):
    # resembles skips a brand sharing neither the first nor the last letter with the name
    brands = compile_brands([brand])
    expected = SAME if name == brand else NEAR if one_edit(name, brand) else None
    got = resembles(name + ".com", brands)
    assert (got in (SAME, NEAR)) == (expected is not None)
    assert (got == SAME) == (expected == SAME)

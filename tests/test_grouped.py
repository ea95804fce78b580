"""Grouped posts: what one post carries, and how entries that wait share the next post.

The platform sends here are plain coroutines standing in for a slow chat (the adapters' tests
drive the same grouping through python-telegram-bot and discord.py against the fake servers)."""

import asyncio

import pytest

from bot.adapters.grouped import Grouper, fit_by_size
from bot.adapters.telegram.grouped import MAX_ENTRIES, MAX_TEXT, SEPARATOR, Entry, take


def _entries(*sizes: int) -> list[Entry]:
    return [Entry("x" * n, []) for n in sizes]


def test_at_most_ten_entries_a_post():
    assert take(_entries(*[10] * 25)) == MAX_ENTRIES


def test_entries_fill_a_post_up_to_telegrams_limit():
    half = (MAX_TEXT - len(SEPARATOR)) // 2
    assert take(_entries(half, half, 1)) == 2
    assert len(SEPARATOR.join(["x" * half] * 2)) <= MAX_TEXT
    assert take(_entries(half, half + 1)) == 1


def test_a_long_entry_goes_alone():
    assert take(_entries(MAX_TEXT + 100, 5)) == 1
    assert fit_by_size([7000], 10, 6000) == 1


class SlowChat:
    """Posts take ``delay`` seconds; a post holding ``bad`` fails."""

    def __init__(self, delay: float, bad: str = "") -> None:
        self.delay, self.bad = delay, bad
        self.posts: list[tuple[str, list[str]]] = []

    async def send(self, chat, batch: list[str]) -> int:
        self.posts.append((chat, batch))
        await asyncio.sleep(self.delay)
        if self.bad in batch:
            raise RuntimeError(f"refused: {self.bad}")
        return len(self.posts)


async def test_entries_waiting_on_a_post_share_the_next_one_in_order():
    chat = SlowChat(0.05)
    grouper = Grouper(chat.send, lambda entries: min(len(entries), 3))
    first = asyncio.ensure_future(grouper.post("log", "e0"))
    await asyncio.sleep(0.01)  # on its way alone: the chat was quiet
    rest = await asyncio.gather(*(grouper.post("log", f"e{i}") for i in range(1, 7)))
    results = [await first, *rest]
    # the rest waited, and go three at a time, in order
    assert chat.posts == [("log", ["e0"]), ("log", ["e1", "e2", "e3"]),
                          ("log", ["e4", "e5", "e6"])]
    assert results == [1, 2, 2, 2, 3, 3, 3]  # each entry learns the post that carried it


async def test_each_destination_posts_on_its_own():
    chat = SlowChat(0.05)
    grouper = Grouper(chat.send, len)
    await asyncio.gather(grouper.post("a", "a1"), grouper.post("b", "b1"),
                         grouper.post("a", "a2"))
    # one post each place, both on their way at once (a slow chat holds up no other)
    assert sorted(chat.posts) == [("a", ["a1", "a2"]), ("b", ["b1"])]


async def test_a_failed_post_fails_only_its_own_entries():
    chat = SlowChat(0.05, bad="e2")
    grouper = Grouper(chat.send, len)
    first = asyncio.ensure_future(grouper.post("log", "e0"))
    await asyncio.sleep(0.01)
    results = [await first, *await asyncio.gather(
        *(grouper.post("log", f"e{i}") for i in range(1, 4)), return_exceptions=True)]
    assert chat.posts == [("log", ["e0"]), ("log", ["e1", "e2", "e3"])]
    assert results[0] == 1
    assert all(isinstance(r, RuntimeError) and "e2" in str(r) for r in results[1:])
    assert await grouper.post("log", "e4") == 3  # and the next entry posts again


async def test_closing_cancels_whoever_waits():
    chat = SlowChat(10)
    grouper = Grouper(chat.send, len)
    waiting = [asyncio.ensure_future(grouper.post("log", f"e{i}")) for i in range(3)]
    await asyncio.sleep(0.05)
    grouper.close()
    for task in waiting:
        with pytest.raises(asyncio.CancelledError):
            await task


def test_a_discord_message_holds_ten_embeds_6000_characters_and_25_buttons():
    import discord

    from bot.adapters.discord.perform import fit

    def entries(count: int, text: int, buttons: int):
        return [(discord.Embed(title="t", description="x" * (text - 1)),
                 [discord.ui.Button(label=str(i)) for i in range(buttons)])
                for _ in range(count)]

    assert fit(entries(25, 100, 1)) == 10
    assert fit(entries(25, 1000, 1)) == 6  # 6,000 characters of embed text
    assert fit(entries(25, 100, 3)) == 8  # 24 buttons; a ninth entry would make 27
    assert fit(entries(3, 7000, 30)) == 1  # too big alone still goes (Discord will say why)

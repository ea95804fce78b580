"""What one grouped post carries when entries wait: at most ten, within Telegram's 4,096
characters, and always at least one (an entry too long alone still goes, and Telegram says so)."""

import asyncio

from bot.adapters.telegram.grouped import MAX_ENTRIES, MAX_TEXT, SEPARATOR, _Entry, take


async def _entries(*sizes: int) -> list[_Entry]:
    loop = asyncio.get_running_loop()
    return [_Entry("x" * n, [], loop.create_future()) for n in sizes]


async def test_at_most_ten_entries_a_post():
    entries = await _entries(*[10] * 25)
    assert len(take(entries)) == MAX_ENTRIES


async def test_entries_fill_a_post_up_to_telegrams_limit():
    half = (MAX_TEXT - len(SEPARATOR)) // 2
    entries = await _entries(half, half, 1)
    assert [len(e.text) for e in take(entries)] == [half, half]
    assert len(SEPARATOR.join(e.text for e in take(entries))) <= MAX_TEXT
    entries = await _entries(half, half + 1)
    assert len(take(entries)) == 1


async def test_a_long_entry_goes_alone():
    entries = await _entries(MAX_TEXT + 100, 5)
    assert [len(e.text) for e in take(entries)] == [MAX_TEXT + 100]

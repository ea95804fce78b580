"""Trying again what is not up yet at start-up: pauses that grow to a cap, a line once a
minute, a refusal raised at once, and a stop honoured while waiting."""

import asyncio
import logging

import pytest

from bot.service.startup import until_up


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_tries_again_until_it_answers_and_logs_once_a_minute(caplog):
    clock, calls = Clock(), []

    async def attempt():
        calls.append(clock.now)
        clock.now += 25.0  # each try costs the clock 25 s: a line every third try at most
        if len(calls) < 6:
            raise ConnectionRefusedError("refused")
        return "up"

    caplog.set_level(logging.WARNING, logger="quytac")
    got = await until_up("database", attempt, lambda e: isinstance(e, ConnectionError),
                         pauses=(0.001, 0.002), clock=clock)
    assert got == "up" and len(calls) == 6
    lines = [r.getMessage() for r in caplog.records]
    waiting = [line for line in lines if "not reachable yet" in line]
    assert len(waiting) == 2  # at 25 s and 100 s: one a minute
    assert lines[-1] == "database reachable: started after 6 tries"


async def test_a_refusal_is_raised_at_once():
    calls = []

    async def attempt():
        calls.append(1)
        raise PermissionError("password authentication failed")

    with pytest.raises(PermissionError):
        await until_up("database", attempt, lambda e: isinstance(e, ConnectionError))
    assert calls == [1]


async def test_a_stop_while_waiting_gives_up_quietly():
    stop = asyncio.Event()

    async def attempt():
        stop.set()
        raise ConnectionRefusedError("refused")

    assert await until_up("Telegram Bot API", attempt, lambda e: True, stop,
                          pauses=(30.0,)) is None

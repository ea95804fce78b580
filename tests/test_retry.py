"""How a failed platform call is tried again: jittered pauses, so the actions a raid's failure
hit together do not all come back at the same moment."""

import random

from bot.adapters.performer import BACKOFF, MAX_RETRY_AFTER, Trouble, retry_pause


def _first_pauses(trouble: Trouble, n: int = 200) -> list[float]:
    rng = random.Random(7)
    return [retry_pause(trouble, iter(BACKOFF), rng) for _ in range(n)]


def test_transient_failures_come_back_spread_around_the_backoff():
    pauses = _first_pauses(Trouble("502", transient=True))
    assert all(0.5 * BACKOFF[0] <= p <= 1.5 * BACKOFF[0] for p in pauses)
    assert max(pauses) - min(pauses) > 0.8 * BACKOFF[0]  # not in lockstep
    assert len({round(p, 3) for p in pauses}) > 150


def test_a_rate_limit_is_waited_out_and_a_little_more():
    pauses = _first_pauses(Trouble("429", wait=5.0))
    assert all(5.0 <= p <= 6.0 for p in pauses)
    assert max(pauses) - min(pauses) > 0.5


def test_giving_up():
    rng = random.Random(1)
    assert retry_pause(Trouble("429", wait=MAX_RETRY_AFTER + 1), iter(BACKOFF), rng) is None
    assert retry_pause(Trouble("400 Bad Request"), iter(BACKOFF), rng) is None
    spent = iter(())
    assert retry_pause(Trouble("502", transient=True), spent, rng) is None
    tries = iter(BACKOFF)
    got = [retry_pause(Trouble("502", transient=True), tries, rng) for _ in range(len(BACKOFF) + 1)]
    assert got[-1] is None and all(p is not None for p in got[:-1])

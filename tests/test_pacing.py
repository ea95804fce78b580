"""The pacer's arithmetic, on a clock the test moves: what may go at once and what waits."""

from bot.adapters.telegram.pacing import Limits, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_group_takes_its_limit_at_once_then_waits_for_the_window():
    clock = Clock()
    pacer = Pacer(Limits(per_second=1000, per_group=20, group_window=60.0), clock)
    waits = [pacer.reserve("sendMessage", -100) for _ in range(21)]
    assert all(w < 0.1 for w in waits[:20])
    assert 60.0 <= waits[20] <= 64.0  # the first one's minute has passed (and a margin)


def test_other_groups_and_non_sending_calls_are_not_held_back():
    clock = Clock()
    pacer = Pacer(Limits(per_second=1000, per_group=2, group_window=60.0), clock)
    for _ in range(5):
        pacer.reserve("sendMessage", -1)
    assert pacer.reserve("sendMessage", -2) < 0.1
    assert pacer.reserve("deleteMessage", -1) == 0.0  # stopping a raid is never paced
    assert pacer.reserve("restrictChatMember", -1) == 0.0


def test_private_chats_one_a_second_and_all_chats_thirty_a_second():
    clock = Clock()
    pacer = Pacer(Limits(), clock)
    assert [round(pacer.reserve("sendMessage", 7), 2) for _ in range(3)] == [0.0, 1.0, 2.0]
    clock.now += 10
    waits = [pacer.reserve("sendMessage", 1000 + i) for i in range(61)]
    assert round(waits[-1], 2) == 2.0  # 61 chats: the last a sixtieth... two seconds on



def test_messages_held_back_for_a_group_never_crowd_a_second_past_the_limit():
    # a group gets forty at once (twenty go, twenty wait for its minute) while private chats
    # keep thirty a second going: when the group's minute ends, its twenty take turns among
    # the others instead of going on top of them (46 in one second before)
    clock = Clock()
    pacer = Pacer(Limits(), clock)
    group = [clock.now + pacer.reserve("sendMessage", -1) for _ in range(40)]
    moments = list(group)
    for step in range(70 * 25):
        clock.now += 0.04
        moments.append(clock.now + pacer.reserve("sendMessage", 10 + step))
    moments.sort()
    busiest = max(sum(1 for m in moments[i:i + 60] if m < start + 1.0 - 1e-6)
                  for i, start in enumerate(moments))
    assert busiest == 30
    # (and the group still had its twenty at once, the rest once its minute had passed)
    assert group[19] - 1000.0 < 1.0 and all(63.0 <= m - 1000.0 < 66.0 for m in group[20:])

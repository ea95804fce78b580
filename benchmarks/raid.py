"""Raid benchmark: a join flood and a spam flood into one Telegram group, with and without the
bot's defences, in the same run.

    python -m benchmarks.raid [--seconds 60] [--joins 500] [--messages 5000]

The real Telegram adapter and service (SQLite file) against the fake Bot API, in one process.
Over ``--seconds``: 400 raider accounts join in the first third and post spam (links, invite
links, numbers, scam lines: what raids post), 100 ordinary new members join across the minute and
say hello, and 100 regular members (there before the bot) chat as usual, some of them with a
link or a shop's number (a person's messages at least 3 s apart). The fake lets through only what Telegram would: a restricted or banned
member's messages, or anyone's in a locked group (administrators excepted), are not delivered.

Reported for the bot as shipped (raid mode and new-member scrutiny on) next to a baseline with
both off (the same engine, rules and ladder): time from the first raider's join to raid mode,
the share of the raiders' messages removed or never delivered, regular members' messages wrongly
removed (target 0), new members' messages held for review, Bot API calls per minute against
Telegram's limits (about 30 messages a second in all, 20 a minute into one group), and the
backlog of unfetched updates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter

GROUP, LOG, ADMIN = -100555, -100556, 7
FLUSH_SECONDS = 120.0  # how long the bot is given, after the last update, to finish its actions
RAIDER0, NEWBIE0, REGULAR0 = 2_000_000, 3_000_000, 4_000_000

SPAM = ["kiếm tiền online 500k/ngày tại https://kiemtien{n}.example/dk",
        "vào nhóm kín t.me/+AbC{n}xyz nhận quà",
        "vay tiền nhanh không cần thế chấp liên hệ 09{n:08d}",
        "đầu tư tiền ảo lãi 30%/tháng inbox ngay",
        "@a @b @c @d @e @f @g xem ngay link hot"]
CHAT = ["chào cả nhà, hôm nay trời đẹp quá", "mọi người ăn trưa chưa", "có gì dm mình nhé",
        "tài liệu buổi trước ở https://docs.example.org/buoi-{n}", "shop mình ở 12 Nguyễn Trãi, "
        "zalo mình 0912345678 nhé", "tối nay đá bóng không anh em", "cảm ơn bạn nhiều",
        "lol vui quá", "mai họp lúc mấy giờ vậy", "mình đồng ý với ý kiến trên"]
# a regular member's lines: never the same one three times in a minute (the duplicate rule rightly
# warns whoever does), as people talk
LINES = [line + tail for tail in ("", " nhé", " nha", " đó", " luôn", " ạ") for line in CHAT]
HELLO = ["chào mọi người, mình mới vào nhóm", "hello everyone, glad to be here",
         "mình là thành viên mới, mong được giúp đỡ"]


def plan(seconds: float, joins: int, messages: int, seed: int = 1) -> list[tuple]:
    """The minute as (time, what, user, text): joins and messages, in time order."""
    rng = random.Random(seed)
    raiders, newbies = joins * 4 // 5, joins - joins * 4 // 5
    joined = {RAIDER0 + i: rng.uniform(0, seconds / 3) for i in range(raiders)}  # the raid
    joined.update({NEWBIE0 + i: rng.uniform(0, seconds * 0.9) for i in range(newbies)})
    events: list[tuple] = [(at, "join", who, "") for who, at in joined.items()]
    said: Counter[int] = Counter()  # a regular member's lines in turn: people do not repeat
    for k in range(messages):
        roll = rng.random()
        if roll < 0.6:  # raiders post from their join on
            who = RAIDER0 + rng.randrange(raiders)
            at = rng.uniform(joined[who] + 0.2, seconds)
            text = rng.choice(SPAM).format(n=rng.randrange(10**6))
        elif roll < 0.9:
            who = REGULAR0 + sum(said[m] for m in said if m >= REGULAR0) % 100  # in turn
            said[who] += 1
            at, text = rng.uniform(0, seconds), LINES[(who * 7 + said[who]) % len(LINES)].format(n=k)
        else:
            who = NEWBIE0 + sum(said[m] for m in said if NEWBIE0 <= m < REGULAR0) % newbies
            at = rng.uniform(joined[who] + 1.0, seconds)
            said[who] += 1
            text = (HELLO + LINES)[(who * 7 + said[who]) % (len(HELLO) + len(LINES))].format(n=k)
        events.append((at, "message", who, text))
    return sorted(_typed(events, seconds, rng), key=lambda e: e[0])


def _typed(events: list[tuple], seconds: float, rng: random.Random) -> list[tuple]:
    """People type: a regular or new member's messages spread over their time in the chat (a
    regular's whole minute, a new member's from their join), not bunched as random draws would
    (the flood rule rightly warns someone who sends seven in ten seconds). Raiders are scripts."""
    by_member: dict[int, list[tuple]] = {}
    out = []
    for e in events:
        if e[1] == "message" and e[2] >= NEWBIE0:
            by_member.setdefault(e[2], []).append(e)
        else:
            out.append(e)
    for said in by_member.values():
        begin = min(e[0] for e in said) if said[0][2] < REGULAR0 else 0.0
        step = (seconds - begin) / len(said)
        for j, (_, what, who, text) in enumerate(said):
            out.append((begin + (j + rng.random()) * step, what, who, text))
    return out


async def _people_answer_challenges(fake) -> None:
    """New members who are people press the picture a join challenge names, a few seconds after
    it appears; raiders (scripts) do not."""
    seen = 0
    while True:
        await asyncio.sleep(0.5)
        calls, seen = fake.calls[seen:], len(fake.calls)
        for call in calls:
            markup = call.params.get("reply_markup") if call.method == "sendMessage" else None
            rows = (markup or {}).get("inline_keyboard", [])
            # a post may carry several members' challenges: a line of text and a row each
            for line, row in zip(call.params.get("text", "").split("\n\n"), rows):
                if not row or not row[0].get("callback_data", "").startswith("verify-"):
                    continue
                member = int(row[0]["callback_data"].split(":")[1])
                if kind_of(member) != "newbie":
                    continue
                right = next(b for b in row if b["text"] in line)
                asyncio.get_running_loop().call_later(
                    3.0, fake.callback, member, right["callback_data"], call.result)


def kind_of(user: int) -> str:
    return "raider" if user < NEWBIE0 else "newbie" if user < REGULAR0 else "regular"


async def run(defended: bool, events: list[tuple], seconds: float, quiet: bool) -> dict:
    from bot.adapters.telegram import TelegramConfig, running
    from bot.core import Engine
    from bot.core.model import default_model
    from bot.fakes.telegram import FakeTelegram
    from bot.service import ModerationService, SqliteStorage

    fake = FakeTelegram()
    fake.admins[GROUP] = {ADMIN}
    fake.admins[LOG] = {ADMIN}
    await fake.start()
    storage = SqliteStorage(os.path.join(tempfile.mkdtemp(), "raid.db"))
    await storage.open()
    await storage.migrate()
    engine = Engine.load(model=default_model())
    service = ModerationService(storage, engine)
    await service.update_settings(str(GROUP), "bench", {
        "log_channel": str(LOG),
        **({} if defended else {"raid_joins": 0, "new_member_messages": 0})})
    sent: dict[int, tuple[str, float]] = {}  # message id -> (whose, when pushed)
    joined_at: dict[int, float] = {}
    attempted, undelivered = Counter(), Counter()
    first_join: float | None = None
    backlog: list[int] = []
    config = TelegramConfig(token=fake.token, api_base_url=fake.base_url)
    async with running(config, service, engine) as adapter:
        await fake.wait_for("setMyCommands", 3)
        answering = asyncio.create_task(_people_answer_challenges(fake))
        start = time.perf_counter()
        for at, what, user, text in events:
            ahead = start + at - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
            if what == "join":
                first_join = first_join or (time.perf_counter() if user < NEWBIE0 else None)
                joined_at[user] = time.perf_counter()
                fake.join(GROUP, (user, f"user{user}"))
                continue
            kind = kind_of(user)
            attempted[kind] += 1
            if not fake.can_send(GROUP, user):
                undelivered[kind] += 1
                continue
            msg = fake.message(GROUP, user, text)
            sent[msg["message_id"]] = (kind, time.perf_counter())
            if len(sent) % 100 == 0:
                backlog.append(len(fake._updates))
            if not quiet and len(sent) % 500 == 0:
                print(f"\r  {'defended' if defended else 'baseline'}: "
                      f"{time.perf_counter() - start:4.0f} s", end="", file=sys.stderr, flush=True)
        await fake.idle(quiet=1.0, timeout=300)
        sent_by = time.perf_counter() - start
        try:  # what Telegram's pace holds back goes out later: wait for it, a while
            await asyncio.wait_for(adapter.performer.flush(), FLUSH_SECONDS)
            queued = 0
        except asyncio.TimeoutError:
            queued = adapter.performer.pending()
        elapsed = time.perf_counter() - start
        answering.cancel()
    if not quiet:
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr)
    await storage.close()
    await fake.stop()
    deleted = {int(c.params["message_id"]) for c in fake.calls if c.method == "deleteMessage"}
    removed = Counter(sent[m][0] for m in deleted if m in sent)
    alerts = [c.at for c in fake.calls if c.method == "sendMessage"
              and str(c.params.get("chat_id")) == str(LOG) and c.params["text"].startswith("🚨")]
    calls = [c for c in fake.calls if c.at >= start]
    by_minute = Counter(int((c.at - start) // 60) for c in calls)
    into_group = Counter(int((c.at - start) // 60) for c in calls
                         if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(GROUP))
    per_second = Counter(int(c.at - start) for c in calls if c.method == "sendMessage")

    let_in: dict[int, float] = {}  # a new member's hold lifted (they passed the challenge)
    for c in calls:
        if c.method == "restrictChatMember" and c.params["permissions"].get("can_send_messages"):
            let_in.setdefault(int(c.params["user_id"]), c.at)
    waits = sorted(at - joined_at[u] for u, at in let_in.items()
                   if kind_of(u) == "newbie" and u in joined_at)

    def share(kind: str, stopped: Counter) -> float:
        return round((stopped[kind] + undelivered[kind]) / attempted[kind], 4) \
            if attempted[kind] else 0.0

    return {
        "seconds_all_updates_handled": round(sent_by, 1),
        "seconds_all_actions_done": round(elapsed, 1),
        "actions_still_queued": queued,
        "raid_mode_after_s": round(min(alerts) - first_join, 2) if alerts and first_join else None,
        "raider_messages": attempted["raider"],
        "raider_messages_stopped": share("raider", removed),
        "raider_messages_never_delivered": undelivered["raider"],
        "regular_messages": attempted["regular"],
        "regular_messages_removed": removed["regular"],
        "regular_messages_never_delivered": undelivered["regular"],
        "newcomer_messages": attempted["newbie"],
        "newcomer_messages_removed": removed["newbie"],
        "newcomer_messages_never_delivered": undelivered["newbie"],
        "newcomers_let_in_by_challenge": len(waits),
        "newcomer_join_to_let_in_p50_s": round(waits[len(waits) // 2], 1) if waits else None,
        "bot_api_calls_per_minute": [by_minute[m] for m in sorted(by_minute)],
        "messages_into_group_per_minute": [into_group[m] for m in sorted(into_group)] or [0],
        "busiest_second_sends": max(per_second.values(), default=0),
        "backlog_max": max(backlog, default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--joins", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--json", action="store_true", help="one JSON object, no table")
    args = parser.parse_args()
    quiet = args.json or not sys.stderr.isatty()
    events = plan(args.seconds, args.joins, args.messages)
    results = {"baseline (defences off)": asyncio.run(run(False, events, args.seconds, quiet)),
               "quytac (raid mode, new-member scrutiny)": asyncio.run(
                   run(True, events, args.seconds, quiet))}
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return
    names = list(results)
    print(f"{args.joins} joins and {args.messages} messages in {args.seconds:g} s into one "
          "Telegram group (the fake Bot API; Telegram's limits: ~30 messages/s in all, "
          "20/min into one group)")
    width = max(len(k) for k in results[names[0]])
    print(f"{'':{width}}  {names[0]:>26}  {names[1]:>40}")
    for key in results[names[0]]:
        print(f"{key:{width}}  {str(results[names[0]][key]):>26}  {str(results[names[1]][key]):>40}")


if __name__ == "__main__":
    main()

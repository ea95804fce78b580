"""The demo's built-in scenario: everyday chat left alone, a violation, a repeat offender
muted, a false positive appealed and approved, and moderators' commands.

Each step is played through the real bot (see ``world``); nothing is printed that the bot did
not do.
"""

from __future__ import annotations

from bot.demo.world import World


async def play(world: World) -> None:
    lan, tuan, minh, ha = (world.person(k) for k in ("1", "2", "3", "4"))
    step = _steps(world)

    step("Everyday chat: nothing happens")
    await world.say(lan, "chào cả nhà, tối nay 8 giờ mình họp online nhé")
    await world.say(minh, "có gì dm mình nha, mình gửi link qua dm rồi")
    await world.say(tuan, "mọi người nhớ mang laptop, ai cần thì zalo mình 0912345678")

    step("A violation: the message is removed, the member warned, the moderators told")
    await world.say(tuan, "địt mẹ mày")

    step("The same member again, disguised: found all the same, and the ladder mutes")
    await world.say(tuan, "đ.ị.t m.ẹ thằng kia")

    step("A false positive: Minh jokes about himself, appeals, and a moderator approves")
    await world.say(minh, "thằng ngu này là tao đây, quên cả sinh nhật vợ 😅")
    appeal = world.last_button(label_startswith=("Kháng nghị", "Appeal"))
    await world.press(appeal)
    await world.dm(minh, "Mình tự nói về bản thân, không xúc phạm ai cả.")
    approve = world.last_button(data_startswith="appeal-approve:")
    await world.press(approve, moderator=ha)

    step("Moderators' commands")
    await world.say(ha, "/cases @tuan99")
    await world.say(ha, "/stats")


def _steps(world: World):
    count = iter(range(1, 100))

    def step(title: str) -> None:
        world.out("")
        world.out(f"── {next(count)}. {title} " + "─" * max(3, 60 - len(title)))
    return step

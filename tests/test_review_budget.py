"""The review queue's hourly budget: the most confident first, the rest kept as shadow cases
and counted, never dropped."""

from bot.service import ModerationService
from tests.test_service import G, Clock, kinds, msg


async def test_the_budget_posts_the_likely_ones_and_keeps_the_rest(storage, engine):
    clock = Clock()
    svc = ModerationService(storage, engine, clock)
    await svc.update_settings(G, "admin", {"log_channel": "-1009", "review_budget_per_hour": 4})
    doubtful = "đéo hiểu gì luôn"  # 0.45: may use half the budget
    posted = [kinds(await svc.on_message(msg(doubtful, f"d{k}", clock=clock))) for k in range(4)]
    assert posted == [["modlog"], ["modlog"], [], []]
    likely = "mày đúng là ba que"  # 0.55: may use most of it
    assert kinds(await svc.on_message(msg(likely, "l1", clock=clock))) == ["modlog"]
    assert kinds(await svc.on_message(msg(likely, "l2", clock=clock))) == []
    queue = await svc.review_queue(G)
    assert len(queue) == 3
    shadow = await storage.list_cases(G, status="shadow")
    assert len(shadow) == 3 and all("review budget of 4 an hour" in c.reason for c in shadow)
    stats = await svc.stats(G)
    assert stats["review_by_status"] == {"over_budget": 3, "open": 3}
    # an hour on, the budget is whole again
    clock.advance(3601)
    assert kinds(await svc.on_message(msg(doubtful, "d9", clock=clock))) == ["modlog"]


async def test_over_budget_items_punish_nobody(storage, engine):
    svc = ModerationService(storage, engine, Clock())
    await svc.update_settings(G, "admin", {"log_channel": "-1009", "review_budget_per_hour": 1})
    await svc.on_message(msg("đéo hiểu gì luôn", "a"))
    assert await svc.on_message(msg("đéo hiểu gì luôn", "b")) == []
    assert await storage.member_points(G, "b") == []

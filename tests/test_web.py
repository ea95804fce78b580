"""The dashboard through aiohttp's test client, its rights asked of the fake Bot API by the real
python-telegram-bot: Telegram logins (valid, forged, expired, replayed), sessions and CSRF, the
case pages and their filters, a pardon carried out on Telegram, and who may see what."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.telegram import TelegramConfig, for_web
from bot.service import CaseQuery, Incoming, ModerationService
from bot.web import Dashboard, WebConfig
from bot.fakes.telegram import BOT
from tests.test_telegram import ADMIN, GROUP, MEMBER, fake  # noqa: F401

OTHER_GROUP = -3003
OTHER_ADMIN = 77  # administers OTHER_GROUP only


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(scope="module")
def engine():
    """With the shipped model: the review queue's decisions teach it."""
    from bot.core import Engine
    from bot.core.model import default_model

    return Engine.load(model=default_model())


@pytest.fixture
async def service(sqlite_storage, engine, clock):
    return ModerationService(sqlite_storage, engine, clock)


@pytest.fixture
async def web(fake, service, clock):
    fake.admins[OTHER_GROUP] = {OTHER_ADMIN}
    config = TelegramConfig(token=fake.token, api_base_url=fake.base_url, pacing=None)
    async with for_web(config, service, clock) as (rights, performer, username):
        dashboard = Dashboard(service, WebConfig(telegram_token=fake.token,
                                                 telegram_bot=username, secret=b"s" * 32),
                              {"telegram": rights}, {"telegram": performer.perform}, clock)
        async with TestClient(TestServer(dashboard.app())) as client:
            client.dashboard = dashboard
            yield client


def signed(token: str, fields: dict[str, str]) -> dict[str, str]:
    """Login Widget data signed as Telegram signs it."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}


def init_data(token: str, user: dict, auth_date: float) -> str:
    """A Mini App's initData signed as Telegram signs it."""
    fields = {"auth_date": str(int(auth_date)), "query_id": "AAE",
              "user": json.dumps(user, separators=(",", ":"))}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def log_in(client, fake, clock, user: int, language: str = "en") -> str:
    """Log in through the widget's redirect; the session's CSRF token."""
    data = signed(fake.token, {"id": str(user), "first_name": f"U{user}",
                               "auth_date": str(int(clock.now)), "language_code": language})
    r = await client.get("/auth/telegram?" + urlencode(data), allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/"
    home = await client.get("/", allow_redirects=False)
    text = await home.text()
    token = text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return token


async def insult(service, community: int, member: int, text: str = "địt mẹ mày", n: int = 1):
    for i in range(n):
        service.clock.now += 1  # (the same words again within seconds would be a flood)
        await service.on_message(Incoming(
            platform="telegram", community_id=str(community), channel_id=str(community),
            message_id=str(9000 + i + member * 1000), author_id=str(member), text=text,
            timestamp=service.clock.now))


# -- logging in -----------------------------------------------------------------------------------

async def test_the_login_widget_valid_forged_expired_and_replayed(web, fake, clock):
    fields = {"id": str(ADMIN), "first_name": "Lan", "username": "lan",
              "auth_date": str(int(clock.now))}
    good = signed(fake.token, fields)
    r = await web.get("/auth/telegram?" + urlencode(good), allow_redirects=False)
    assert r.status == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    # the same link again is refused: a copied login link is no key
    web.session.cookie_jar.clear()
    again = await web.get("/auth/telegram?" + urlencode(good), allow_redirects=False)
    assert again.status == 401 and "this login was used already" in await again.text()
    forged = dict(signed(fake.token, {**fields, "auth_date": str(int(clock.now) - 5)}), id="8")
    r = await web.get("/auth/telegram?" + urlencode(forged), allow_redirects=False)
    assert r.status == 401 and "not signed by this bot" in await r.text()
    old = signed(fake.token, {**fields, "auth_date": str(int(clock.now) - 86400 - 10)})
    r = await web.get("/auth/telegram?" + urlencode(old), allow_redirects=False)
    assert r.status == 401 and "more than a day old" in await r.text()
    other_bot = signed("999:OTHER", {**fields, "auth_date": str(int(clock.now) - 7)})
    r = await web.get("/auth/telegram?" + urlencode(other_bot), allow_redirects=False)
    assert r.status == 401
    assert "quytac_session" not in web.session.cookie_jar.filter_cookies(web.make_url("/"))


async def test_the_mini_app_valid_forged_expired_and_replayed(web, fake, clock):
    user = {"id": ADMIN, "first_name": "Lan", "language_code": "vi"}
    good = init_data(fake.token, user, clock.now)
    r = await web.post("/auth/telegram/webapp", json={"initData": good})
    assert r.status == 200 and (await r.json()) == {"ok": True, "next": "/"}
    home = await web.get("/")
    assert "Cộng đồng của bạn" in await home.text()  # the moderator's language
    web.session.cookie_jar.clear()
    r = await web.post("/auth/telegram/webapp", json={"initData": good})
    assert r.status == 401 and "used already" in (await r.json())["error"]
    forged = good.replace("Lan", "Lam")
    r = await web.post("/auth/telegram/webapp", json={"initData": forged})
    assert r.status == 401 and "not signed" in (await r.json())["error"]
    old = init_data(fake.token, user, clock.now - 2 * 86400)
    r = await web.post("/auth/telegram/webapp", data={"initData": old})
    assert r.status == 401 and "more than a day old" in (await r.json())["error"]


async def test_without_a_session_pages_go_to_login_and_json_gets_401(web):
    r = await web.get(f"/communities/{GROUP}/cases?status=active", allow_redirects=False)
    assert r.status == 302
    assert r.headers["Location"] == f"/login?next=/communities/{GROUP}/cases?status%3Dactive"
    r = await web.get("/", headers={"Accept": "application/json"})
    assert r.status == 401
    login = await web.get("/login?next=//evil.example/")
    text = await login.text()
    assert f'data-telegram-login="{BOT["username"]}"' in text
    assert "evil.example" not in text  # only a path of this site comes back after login
    assert (await web.get("/healthz")).status == 200


# -- who may see what ---------------------------------------------------------------------------

PAGES = ("cases", "cases/1", "review", "appeals", "settings", "stats", f"members/{MEMBER}")
ACTIONS = {"pardon": ("cases/1/pardon", {"reason": "x"}),
           "reason": ("cases/1/reason", {"reason": "y"}),
           "dismiss": ("review/1/dismiss", {}),
           "reject": ("appeals/1/reject", {"reason": "no"}),
           "settings": ("settings", {"warning_delete_after": "99", "confirm": "yes"}),
           "export": (f"members/{MEMBER}/export", {}),
           "forget": ("members/103/forget", {"confirm": "yes"})}


async def _matrix_calls(web, csrf):
    base = f"/communities/{GROUP}/"
    json_ = {"Accept": "application/json"}
    out = {}
    for page in PAGES:
        out[page] = await web.get(base + page, headers=json_, allow_redirects=False)
    for name, (path, form) in ACTIONS.items():
        out[name] = await web.post(base + path, data={"csrf": csrf, **form}, headers=json_,
                                   allow_redirects=False)
    return out


@pytest.mark.parametrize("who", ["member", "other_moderator", "moderator", "expired"])
async def test_permission_matrix(web, fake, clock, service, who):
    await insult(service, GROUP, MEMBER)
    await insult(service, OTHER_GROUP, MEMBER)
    await insult(service, GROUP, 103, text="đéo hiểu gì")  # a review item
    await service.appeal(str(GROUP), 1, str(MEMBER), "tôi không nói thế")
    user = {"member": MEMBER, "other_moderator": OTHER_ADMIN}.get(who, ADMIN)
    csrf = await log_in(web, fake, clock, user)
    if who == "expired":
        clock.now += 12 * 3600 + 1
    index = await web.get("/", headers={"Accept": "application/json"}, allow_redirects=False)
    calls = await _matrix_calls(web, csrf)
    statuses = {k: r.status for k, r in calls.items()}
    (case,), _ = await service.search_cases(str(GROUP), CaseQuery())
    settings = await service.settings(str(GROUP))
    reviews = await service.review_queue(str(GROUP))
    appeals = await service.open_appeals(str(GROUP))
    if who == "moderator":
        assert index.status == 200
        assert [c["id"] for c in (await index.json())["communities"]] == [str(GROUP)]
        assert statuses == {**{p: 200 for p in PAGES}, **{a: 200 for a in ACTIONS}}
        assert case.status == "pardoned" and case.reason == "y"
        assert reviews == appeals == [] and settings.warning_delete_after == 99
        return
    assert case.status == "active" and len(reviews) == 1 and len(appeals) == 1  # untouched
    assert [c.member_id for c in (await service.search_cases(str(GROUP), CaseQuery()))[0]] \
        == [str(MEMBER)]
    assert settings.warning_delete_after != 99
    if who == "expired":
        assert index.status == 401 and set(statuses.values()) == {401}
        return
    assert index.status == 200
    seen = [c["id"] for c in (await index.json())["communities"]]
    assert seen == ([str(OTHER_GROUP)] if who == "other_moderator" else [])
    assert set(statuses.values()) == {403}


async def test_a_form_without_its_csrf_token_is_refused(web, fake, clock, service):
    await insult(service, GROUP, MEMBER)
    csrf = await log_in(web, fake, clock, ADMIN)
    base = f"/communities/{GROUP}/cases/1"
    r = await web.post(base + "/pardon", data={"reason": "x"})
    assert r.status == 403 and "CSRF" in await r.text()
    # (another last character: a token ending in "A" came back unchanged one run in 64)
    wrong = csrf[:-1] + ("B" if csrf.endswith("A") else "A")
    r = await web.post(base + "/pardon", data={"reason": "x", "csrf": wrong})
    assert r.status == 403
    r = await web.post("/logout", data={})
    assert r.status == 403
    case, _, _ = await service.show_case(str(GROUP), 1)
    assert case.status == "active"
    r = await web.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303
    # the session is over, whatever cookie the browser keeps
    assert (await web.get("/", allow_redirects=False)).status == 302


async def test_rights_are_asked_again_after_a_minute(web, fake, clock, service):
    await insult(service, GROUP, MEMBER)
    await log_in(web, fake, clock, ADMIN)
    url = f"/communities/{GROUP}/cases"
    assert (await web.get(url)).status == 200
    fake.admins[GROUP].discard(ADMIN)  # no longer an administrator
    assert (await web.get(url)).status == 200  # (the list is less than a minute old)
    clock.now += 61
    assert (await web.get(url)).status == 403


# -- the pages ------------------------------------------------------------------------------------

async def test_cases_are_filtered_searched_and_paged(web, fake, clock, service):
    await insult(service, GROUP, MEMBER, n=3)
    await insult(service, GROUP, 103, text="đồ ngu", n=1)
    await log_in(web, fake, clock, ADMIN)
    base = f"/communities/{GROUP}/cases"
    json_ = {"Accept": "application/json"}
    every = await (await web.get(base, headers=json_)).json()
    assert every["total"] == 4 and [c["number"] for c in every["cases"]] == [4, 3, 2, 1]
    mine = await (await web.get(base + "?member=103", headers=json_)).json()
    assert [c["member_id"] for c in mine["cases"]] == ["103"]
    rule = mine["cases"][0]["rule_ids"][0]
    by_rule = await (await web.get(base + "?rule=" + rule, headers=json_)).json()
    assert 4 in [c["number"] for c in by_rule["cases"]]
    found = await (await web.get(base + "?q=NGU", headers=json_)).json()
    assert [c["number"] for c in found["cases"]] == [4]
    today = time.strftime("%Y-%m-%d", time.gmtime(clock.now + 7 * 3600))
    dated = await (await web.get(f"{base}?since={today}&until={today}", headers=json_)).json()
    assert dated["total"] == 4
    none = await (await web.get(base + "?status=pardoned", headers=json_)).json()
    assert none["total"] == 0
    category = service.engine.rule(rule).category
    by_category = await (await web.get(base + "?category=" + category, headers=json_)).json()
    assert 4 in [c["number"] for c in by_category["cases"]]
    assert {service.engine.rule(c["rule_ids"][0]).category for c in by_category["cases"]} == {
        category}
    await service.manual(str(GROUP), "telegram", "105", str(ADMIN), "warn", "by hand")
    by_mod = await (await web.get(f"{base}?moderator={ADMIN}", headers=json_)).json()
    assert [(c["number"], c["actor"]) for c in by_mod["cases"]] == [(5, str(ADMIN))]
    bad = await web.get(base + "?since=yesterday", headers=json_)
    assert bad.status == 400 and "since 'yesterday': write a day as YYYY-MM-DD" in await bad.text()
    html = await (await web.get(base + "?member=103")).text()
    assert f'href="/communities/{GROUP}/cases/4"' in html and "đồ ngu" in html


async def test_https_cookies_are_secure_and_a_silent_database_is_503(
        fake, service, clock, sqlite_storage):
    dashboard = Dashboard(service, WebConfig(url="https://mod.example.org",
                                             telegram_token=fake.token), {}, {}, clock)
    async with TestClient(TestServer(dashboard.app())) as client:
        data = signed(fake.token, {"id": str(ADMIN), "first_name": "Lan",
                                   "auth_date": str(int(clock.now))})
        r = await client.get("/auth/telegram?" + urlencode(data), allow_redirects=False)
        assert "Secure" in r.headers["Set-Cookie"]
        assert (await client.get("/healthz")).status == 200
        await sqlite_storage.close()
        r = await client.get("/healthz")
        assert r.status == 503 and await r.text() == "database unavailable"
        await sqlite_storage.open()  # (for the fixture's own close)


async def test_pages_of_fifty(web, fake, clock, service):
    await insult(service, GROUP, MEMBER, n=55)
    await log_in(web, fake, clock, ADMIN)
    json_ = {"Accept": "application/json"}
    first = await (await web.get(f"/communities/{GROUP}/cases", headers=json_)).json()
    second = await (await web.get(f"/communities/{GROUP}/cases?page=2", headers=json_)).json()
    assert (first["pages"], len(first["cases"]), len(second["cases"])) == (2, 50, 5)
    assert second["cases"][-1]["number"] == 1


async def test_a_pardon_on_the_web_lifts_the_mute_on_telegram_and_is_audited(
        web, fake, clock, service):
    case, actions = await service.manual(str(GROUP), "telegram", str(MEMBER), str(ADMIN),
                                         "mute", "spam", minutes=60)
    csrf = await log_in(web, fake, clock, ADMIN)
    page = await web.get(f"/communities/{GROUP}/cases/{case.number}")
    assert "spam" in await page.text()
    fake.calls.clear()
    r = await web.post(f"/communities/{GROUP}/cases/{case.number}/pardon",
                       data={"csrf": csrf, "reason": "nhầm người"})
    assert r.status == 200 and "Case #1 pardoned." in await r.text()  # after the redirect
    (lift,) = await fake.wait_for("restrictChatMember")
    assert lift["user_id"] == str(MEMBER) and lift["permissions"]["can_send_messages"] is True
    (told,) = await fake.wait_for("sendMessage", chat_id=MEMBER)
    assert "nhầm người" in told["text"]
    shown = await (await web.get(f"/communities/{GROUP}/cases/{case.number}",
                                 headers={"Accept": "application/json"})).json()
    assert shown["case"]["status"] == "pardoned"
    assert (str(ADMIN), "pardoned") in [(h["actor"], h["action"]) for h in shown["history"]]


# -- as processes -----------------------------------------------------------------------------------

async def _up(port: int, proc) -> None:
    import asyncio

    import aiohttp

    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            assert proc.returncode is None, "the process ended"
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the dashboard never answered /healthz")


async def _as_moderator(port: int, token: str, user: int) -> tuple[int, str]:
    """Log in through the widget's redirect, then open the cases of GROUP."""
    import aiohttp

    data = signed(token, {"id": str(user), "first_name": "Lan", "auth_date": str(int(time.time()))})
    # (aiohttp's client keeps no cookie of an IP address unless told to; browsers do)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"http://127.0.0.1:{port}/auth/telegram?" + urlencode(data)) as r:
            assert r.status == 200  # (followed to /)
        async with http.get(f"http://127.0.0.1:{port}/communities/{GROUP}/cases") as r:
            return r.status, await r.text()


class _Process:
    """``quytac COMMAND`` on the fake Bot API with the dashboard on a free port; ``output``
    once it stopped (SIGTERM) and exited 0."""

    def __init__(self, command: str, fake, database: str) -> None:
        from bot.fakes import free_port
        from tests.test_run import _telegram_env

        self.command, self.port = command, free_port()
        self.env = _telegram_env(fake, database, QUYTAC_WEB_PORT=str(self.port))
        self.output = ""

    async def __aenter__(self) -> "_Process":
        import asyncio
        import sys

        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", self.command, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        await _up(self.port, self.proc)
        return self

    async def __aexit__(self, *exc) -> None:
        import asyncio
        import signal

        self.proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(self.proc.communicate(), 30)
        self.output = output.decode()
        assert self.proc.returncode == 0, self.output


async def test_run_serves_the_dashboard_beside_the_bot(tmp_path, fake):
    async with _Process("run", fake, str(tmp_path / "run.db")) as bot:
        await fake.wait_for("setMyCommands", 3, timeout=30)
        fake.message(GROUP, MEMBER, "địt mẹ mày")
        await fake.wait_for("deleteMessage", timeout=15)
        status, page = await _as_moderator(bot.port, fake.token, ADMIN)
        assert status == 200 and "địt mẹ mày" in page and "#1" in page
        status, _ = await _as_moderator(bot.port, fake.token, MEMBER)
        assert status == 403
    assert fake.token not in bot.output


async def test_web_alone_and_a_taken_port_in_one_line(tmp_path, fake):
    import asyncio
    import socket
    import sys

    async with _Process("web", fake, str(tmp_path / "web.db")) as web:
        status, page = await _as_moderator(web.port, fake.token, ADMIN)
        assert status == 200 and "0 cases" in page
    assert "QUYTAC_WEB_SECRET is not set" in web.output  # (sessions end with the process)
    env = web.env
    env["QUYTAC_WEB_SECRET"] = "a-long-random-value"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["QUYTAC_WEB_PORT"] = str(taken.getsockname()[1])
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "web", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "the dashboard cannot listen on 127.0.0.1:" in lines[0], lines


# -- the queue, appeals, settings and statistics ----------------------------------------------------

async def test_the_review_queue_confirms_and_dismisses_and_teaches(web, fake, clock, service):
    await insult(service, GROUP, 103, text="đéo hiểu gì")
    await insult(service, GROUP, 104, text="đéo hiểu gì luôn")
    csrf = await log_in(web, fake, clock, ADMIN)
    page = await (await web.get(f"/communities/{GROUP}/review")).text()
    assert page.count('class="item"') == 2 and "review-keys.js" in page
    assert "Keys: j/k to move, c to confirm, d to dismiss." in page
    first, second = await service.review_queue(str(GROUP))
    fake.calls.clear()
    r = await web.post(f"/communities/{GROUP}/review/{first.id}/confirm", data={"csrf": csrf})
    assert r.status == 200 and "Decision recorded." in await r.text()
    (case,), _ = await service.search_cases(str(GROUP), CaseQuery())
    assert (case.member_id, case.actor) == ("103", str(ADMIN))
    await fake.wait_for("deleteMessage")  # carried out on Telegram
    await web.post(f"/communities/{GROUP}/review/{second.id}/dismiss", data={"csrf": csrf})
    assert await service.review_queue(str(GROUP)) == []
    from tests.conftest import raw
    learned = await raw(service.storage, "SELECT source, label FROM learned_examples")
    assert sorted((r["source"], r["label"]) for r in learned) == [
        ("review_confirmed", 1), ("review_dismissed", 0)]
    again = await web.post(f"/communities/{GROUP}/review/{second.id}/dismiss",
                           data={"csrf": csrf}, headers={"Accept": "application/json"})
    assert again.status == 400 and "already dismissed" in await again.text()


async def test_an_appeal_is_approved_with_the_reason_the_member_reads(web, fake, clock, service):
    await insult(service, GROUP, MEMBER)
    await service.appeal(str(GROUP), 1, str(MEMBER), "tôi trích lời bài hát")
    csrf = await log_in(web, fake, clock, ADMIN)
    page = await (await web.get(f"/communities/{GROUP}/appeals")).text()
    assert "tôi trích lời bài hát" in page
    fake.calls.clear()
    r = await web.post(f"/communities/{GROUP}/appeals/1/approve",
                       data={"csrf": csrf, "reason": "đúng là lời bài hát"})
    assert r.status == 200
    (told,) = await fake.wait_for("sendMessage", chat_id=MEMBER)
    assert "đúng là lời bài hát" in told["text"]
    case, _, appeals = await service.show_case(str(GROUP), 1)
    assert case.status == "overturned" and appeals[0].status == "approved"
    assert await service.open_appeals(str(GROUP)) == []


async def test_settings_show_the_change_before_saving_and_refuse_a_bad_value(
        web, fake, clock, service):
    csrf = await log_in(web, fake, clock, ADMIN)
    url = f"/communities/{GROUP}/settings"
    page = await (await web.get(url)).text()
    assert 'name="warning_delete_after"' in page and "ladder" in page
    bad = await web.post(url, data={"csrf": csrf, "half_life_days": "true"})
    text = await bad.text()
    assert bad.status == 400 and "setting &#39;half_life_days&#39;" in text
    preview = await web.post(url, data={"csrf": csrf, "warning_delete_after": "120",
                                        "language": "en"},
                             headers={"Accept": "application/json"})
    diff = (await preview.json())["diff"]
    assert set(diff) == {"warning_delete_after", "language"}
    assert diff["warning_delete_after"]["to"] == 120
    assert (await service.settings(str(GROUP))).warning_delete_after != 120  # not saved yet
    html = await (await web.post(url, data={"csrf": csrf, "warning_delete_after": "120"})).text()
    assert 'name="confirm" value="yes"' in html and 'class="to">120<' in html
    r = await web.post(url, data={"csrf": csrf, "warning_delete_after": "120", "confirm": "yes"})
    assert r.status == 200 and "Settings saved." in await r.text()
    assert (await service.settings(str(GROUP))).warning_delete_after == 120
    (entry,) = [e for e in await service.storage.audit_log(str(GROUP))
                if e.action == "settings"]
    assert entry.actor == str(ADMIN) and entry.detail == {
        "warning_delete_after": {"from": diff["warning_delete_after"]["from"], "to": 120}}


async def test_the_stats_page_draws_its_charts_from_the_same_numbers(web, fake, clock, service):
    await insult(service, GROUP, MEMBER, n=2)
    await insult(service, GROUP, 103, text="đéo hiểu gì")
    await log_in(web, fake, clock, ADMIN)
    url = f"/communities/{GROUP}/stats"
    data = await (await web.get(url, headers={"Accept": "application/json"})).json()
    assert data["stats"] == json.loads(json.dumps(await service.stats(str(GROUP))))
    today = data["activity"]["days"][-1]
    assert data["activity"]["tiers"][today] == {"acted": 2, "review": 1, "shadow": 0}
    html = await (await web.get(url)).text()
    assert html.count("<svg") == 5
    assert "Cases per day by category" in html and "Overturn rate per rule" in html
    category = next(iter(data["activity"]["by_category"][today]))
    assert f"{today} · {category}: 2" in html  # the bar of today's cases


async def test_a_members_data_is_exported_and_forgotten_after_a_confirmation(
        web, fake, clock, service):
    await insult(service, GROUP, MEMBER)
    csrf = await log_in(web, fake, clock, ADMIN)
    base = f"/communities/{GROUP}/members/{MEMBER}"
    assert "This cannot be undone." in await (await web.get(base)).text()
    r = await web.post(base + "/export", data={"csrf": csrf})
    assert r.headers["Content-Disposition"] == f'attachment; filename="member-{MEMBER}.json"'
    exported = json.loads(await r.text())
    assert [c["excerpt"] for c in exported["cases"]] == ["địt mẹ mày"]
    unconfirmed = await web.post(base + "/forget", data={"csrf": csrf})
    assert unconfirmed.status == 400 and "Tick the confirmation first." in await unconfirmed.text()
    assert (await service.show_case(str(GROUP), 1))[0].member_id == str(MEMBER)
    r = await web.post(base + "/forget", data={"csrf": csrf, "confirm": "yes"})
    assert r.status == 200 and "The member was forgotten." in await r.text()
    case = (await service.show_case(str(GROUP), 1))[0]
    assert case.member_id.startswith("forgotten-") and case.excerpt == ""
    actions = [(e.actor, e.action) for e in await service.storage.audit_log(str(GROUP))]
    assert (str(ADMIN), "member_exported") in actions
    outsider = await web.post(f"/communities/{OTHER_GROUP}/members/{MEMBER}/forget",
                              data={"csrf": csrf, "confirm": "yes"})
    assert outsider.status == 403


# -- from Telegram ----------------------------------------------------------------------------------

async def test_the_mod_log_and_dashboard_command_open_the_dashboard_logged_in(
        fake, service, engine, web, clock):
    from bot.adapters.telegram import running
    from tests.test_telegram import LOG

    await service.update_settings(str(GROUP), "setup", {"log_channel": str(LOG)})
    config = TelegramConfig(token=fake.token, api_base_url=fake.base_url, pacing=None,
                            web_url="https://mod.example.org")
    async with running(config, service, engine):
        await fake.wait_for("setMyCommands", 3)
        fake.message(GROUP, ADMIN, "/dashboard")
        (reply,) = await fake.wait_for("sendMessage", chat_id=GROUP)
        (button,) = reply["reply_markup"]["inline_keyboard"][0]
        assert button["login_url"]["url"] == (
            "https://mod.example.org/auth/telegram?next=%2Fcommunities%2F-1001%2Fcases")
        # in private, a Mini App button (Telegram allows those in private chats only)
        fake.message(ADMIN, ADMIN, "/dashboard", chat_type="private")
        (private,) = await fake.wait_for("sendMessage", chat_id=ADMIN)
        (app_button,) = private["reply_markup"]["inline_keyboard"][0]
        assert app_button["web_app"] == {"url": "https://mod.example.org/login"}
        fake.message(GROUP, MEMBER, "địt mẹ mày")
        (entry,) = await fake.wait_for("sendMessage", chat_id=LOG)
        *_, link = entry["reply_markup"]["inline_keyboard"][0]
        assert link["text"] == "🔗 #1" and link["login_url"]["url"].endswith(
            "?next=%2Fcommunities%2F-1001%2Fcases%2F1")
    # Telegram adds the signed login to that address: the moderator lands on the case
    data = signed(fake.token, {"id": str(ADMIN), "first_name": "Lan",
                               "auth_date": str(int(clock.now))})
    r = await web.get("/auth/telegram?next=%2Fcommunities%2F-1001%2Fcases%2F1&" + urlencode(data),
                      allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/communities/-1001/cases/1"
    page = await web.get("/communities/-1001/cases/1")
    assert page.status == 200 and "địt mẹ mày" in await page.text()

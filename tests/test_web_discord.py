"""The dashboard's Discord side against the fake Discord: OAuth2 login (the authorisation code
flow, its state checked, each code once), rights read by the bot from the server's roles (a
minute old at most), and a pardon carried out on Discord by the dashboard's own REST client."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.discord import DiscordConfig, for_web
from bot.fakes.discord import GUILD, MOD_ROLE, FakeDiscord, member
from bot.service import ModerationService
from bot.web import Dashboard, WebConfig
from bot.web.discord_login import DiscordOAuth
from tests.test_web import Clock

MOD, PLAIN = "110000000000000001", "110000000000000002"
TOKEN = "MTIz.fake-discord-token.abc"


@pytest.fixture
async def fake():
    server = FakeDiscord()
    server.members[MOD] = member(MOD, "modlan", roles=[MOD_ROLE])
    server.members[PLAIN] = member(PLAIN, "plain")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def web(fake, sqlite_storage, engine):
    clock = Clock()
    service = ModerationService(sqlite_storage, engine, clock)
    config = DiscordConfig(token=TOKEN, api_base_url=fake.api_base)
    async with for_web(config, service, clock) as (rights, performer):
        oauth = DiscordOAuth("app-id", fake.client_secret, "http://dash/auth/discord/callback",
                             authorize_base="http://discord.test", api_base=fake.api_base)
        dashboard = Dashboard(service, WebConfig(secret=b"s" * 32), {"discord": rights},
                              {"discord": performer.perform}, clock, discord=oauth)
        async with TestClient(TestServer(dashboard.app())) as client:
            client.service, client.clock = service, clock
            yield client


async def log_in(web, fake, uid: str, next_page: str = "/") -> str:
    """Through Discord: to its page and back with a code; where the dashboard sends us."""
    r = await web.get(f"/auth/discord?next={next_page}", allow_redirects=False)
    assert r.status == 302
    to = urlsplit(r.headers["Location"])
    query = parse_qs(to.query)
    assert (to.netloc, to.path) == ("discord.test", "/oauth2/authorize")
    assert query["scope"] == ["identify"] and query["client_id"] == ["app-id"]
    assert query["redirect_uri"] == ["http://dash/auth/discord/callback"]
    code = f"code-{uid}-{time.monotonic_ns()}"
    fake.oauth_codes[code] = uid
    back = await web.get(f"/auth/discord/callback?code={code}&state={query['state'][0]}",
                         allow_redirects=False)
    assert back.status == 302, await back.text()
    return back.headers["Location"]


async def test_discord_login_and_rights_from_the_servers_roles(web, fake):
    case, _ = await web.service.manual(GUILD, "discord", PLAIN, MOD, "mute", "spam", minutes=60)
    assert await log_in(web, fake, MOD, f"/communities/{GUILD}/cases") == \
        f"/communities/{GUILD}/cases"
    page = await web.get(f"/communities/{GUILD}/cases/{case.number}")
    assert page.status == 200 and "spam" in await page.text()
    home = await (await web.get("/", headers={"Accept": "application/json"})).json()
    assert [c["id"] for c in home["communities"]] == [GUILD]
    # a pardon on the web lifts the timeout on Discord
    csrf = (await page.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    fake.calls.clear()
    r = await web.post(f"/communities/{GUILD}/cases/{case.number}/pardon",
                       data={"csrf": csrf, "reason": "nhầm"})
    assert r.status == 200
    lifted = [c for c in fake.calls if c.method == "PATCH"
              and c.path == f"/guilds/{GUILD}/members/{PLAIN}"]
    assert lifted and lifted[0].body["communication_disabled_until"] is None
    # a plain member logs in too, and sees nothing of the server
    web.session.cookie_jar.clear()
    await log_in(web, fake, PLAIN)
    assert (await web.get(f"/communities/{GUILD}/cases")).status == 403


async def _state(web) -> str:
    r = await web.get("/auth/discord", allow_redirects=False)
    return parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]


async def test_a_forged_state_a_refused_code_and_a_replayed_code_are_refused(web, fake):
    fake.oauth_codes["c1"] = MOD
    await _state(web)
    forged = await web.get("/auth/discord/callback?code=c1&state=someone-elses",
                           allow_redirects=False)
    assert forged.status == 401 and "state does not match" in await forged.text()
    # a state is good for one way back: the forged try spent it
    spent = await web.get("/auth/discord/callback?code=c1&state=x", allow_redirects=False)
    assert spent.status == 401
    wrong = await web.get(f"/auth/discord/callback?code=nope&state={await _state(web)}",
                          allow_redirects=False)
    assert wrong.status == 401 and "Discord refused the login code" in await wrong.text()
    ok = await web.get(f"/auth/discord/callback?code=c1&state={await _state(web)}",
                       allow_redirects=False)
    assert ok.status == 302
    web.session.cookie_jar.clear()
    again = await web.get(f"/auth/discord/callback?code=c1&state={await _state(web)}",
                          allow_redirects=False)
    assert again.status == 401 and "refused the login code" in await again.text()  # (once)
    refused = await web.get(f"/auth/discord/callback?error=access_denied&state="
                            f"{await _state(web)}", allow_redirects=False)
    assert refused.status == 401 and "sent no login code" in await refused.text()


async def test_discord_rights_are_read_again_after_a_minute(web, fake):
    await web.service.manual(GUILD, "discord", PLAIN, MOD, "warn", "x")
    await log_in(web, fake, MOD)
    url = f"/communities/{GUILD}/cases"
    assert (await web.get(url)).status == 200
    fake.members[MOD] = member(MOD, "modlan")  # the moderator role taken away
    assert (await web.get(url)).status == 200
    web.clock.now += 61
    assert (await web.get(url)).status == 403

"""The dashboard in a real browser: headless Chromium from the distribution's packages, driven
by Playwright. A moderator opens it as a Telegram Mini App (Telegram's script is stood in for by
one that hands the page signed initData; the login goes through the page's own script), confirms
a review item with a key, saves a setting after its diff, approves an appeal, and sees the
charts drawn. Screenshots go to ``artifacts/screenshots`` (CI keeps that folder)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.test_web import (  # noqa: F401 (fixtures)
    ADMIN, GROUP, MEMBER, clock, engine, fake, init_data, insult, service, web,
)

CHROMIUM = os.environ.get("QUYTAC_CHROMIUM") or shutil.which("chromium") or ""
SHOTS = Path(os.environ.get("QUYTAC_SCREENSHOTS", "artifacts/screenshots"))


@pytest.fixture
async def browser():
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI is set but there is no chromium (.ci/run installs Debian's)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        # (--no-sandbox: CI runs as root, where Chromium's sandbox will not start)
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def _as_mini_app(browser, token: str, now: float):
    """A page whose Telegram script hands it the moderator's signed initData; nothing leaves
    127.0.0.1."""
    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    signed = init_data(token, {"id": ADMIN, "first_name": "Lan", "language_code": "en"}, now)
    stub = f"window.Telegram = {{WebApp: {{initData: {json.dumps(signed)}}}}};"

    async def telegram(route):
        body = stub if route.request.url.endswith("telegram-web-app.js") else ""
        await route.fulfill(status=200, content_type="application/javascript", body=body)

    await page.route("https://telegram.org/**", telegram)
    return page


async def test_a_moderator_works_the_dashboard_in_a_browser(web, fake, clock, service, browser):
    await insult(service, GROUP, MEMBER, n=3)
    await insult(service, GROUP, 103, text="đéo hiểu gì")  # a review item
    await service.appeal(str(GROUP), 1, str(MEMBER), "tôi trích lời bài hát")
    base = str(web.make_url("")).rstrip("/")
    page = await _as_mini_app(browser, fake.token, clock.now)
    SHOTS.mkdir(parents=True, exist_ok=True)

    await page.goto(base + "/login")
    await page.wait_for_url(base + "/")  # logged in by the page's script, sent home
    assert await page.inner_text("h1") == "Your communities"
    await page.click(f'a[href="/communities/{GROUP}/cases"]')
    assert await page.inner_text("p.count") == "3 cases"
    await page.screenshot(path=str(SHOTS / "cases.png"), full_page=True)

    await page.goto(f"{base}/communities/{GROUP}/review")
    await page.keyboard.press("j")  # (one item: j and k stay on it)
    await page.keyboard.press("k")
    assert await page.locator("#queue .item.chosen").count() == 1
    await page.keyboard.press("c")  # the chosen item confirmed by its key
    await page.wait_for_selector("p.done")
    assert await service.review_queue(str(GROUP)) == []
    confirmed = (await service.show_case(str(GROUP), 4))[0]
    assert (confirmed.member_id, confirmed.actor) == ("103", str(ADMIN))

    await page.goto(f"{base}/communities/{GROUP}/settings")
    await page.fill('input[name="warning_delete_after"]', "120")
    await page.click('form.settings button[type="submit"]')
    assert await page.inner_text("table.diff td.to") == "120"
    assert (await service.settings(str(GROUP))).warning_delete_after != 120
    await page.click('text="Save these changes"')
    await page.wait_for_selector("p.done")
    assert (await service.settings(str(GROUP))).warning_delete_after == 120

    await page.goto(f"{base}/communities/{GROUP}/appeals")
    form = page.locator("form.decide").first  # approve
    await form.locator('input[name="reason"]').fill("đúng là lời bài hát")
    await form.locator("button").click()
    await page.wait_for_selector("p.done")
    (appeal,) = (await service.show_case(str(GROUP), 1))[2]
    assert appeal.status == "approved"

    await page.goto(f"{base}/communities/{GROUP}/stats")
    charts = page.locator("svg.chart")
    assert await charts.count() == 5
    box = await charts.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # drawn, not empty
    assert await page.locator("svg.chart rect").count() > 5
    await page.screenshot(path=str(SHOTS / "stats.png"), full_page=True)
    # on a phone: the case list is one column, nothing wider than the screen
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{base}/communities/{GROUP}/cases")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.screenshot(path=str(SHOTS / "cases-phone.png"), full_page=True)
    assert (SHOTS / "cases.png").stat().st_size > 10_000

"""The whole journey in a real browser (Debian's chromium driven by Playwright) against `papertrend web` in its
own process, the real warehouse and audience store, and a real local SMTP server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from papertrend.cli import app
from tests.factories import HOSTILE_ID
from tests.web.conftest import FROM

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(os.environ.get("PAPERTREND_TEST_SCREENSHOTS", "/tmp/papertrend-web-screens"))
WIDTHS = (390, 1280)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: CI installs it with `make chromium`")
        pytest.skip("Debian's chromium is not installed (make chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def server(site_dir, smtp):
    """`papertrend web` on a free port, its emails to the local SMTP server; (base URL, environment)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "PAPERTREND_DATA_DIR": str(site_dir),
        "PAPERTREND_WEB_BASE_URL": base,
        "PAPERTREND_WEB_PORT": str(port),
        "PAPERTREND_EMAIL_SMTP_HOST": "127.0.0.1",
        "PAPERTREND_EMAIL_SMTP_PORT": str(smtp.port),
        "PAPERTREND_EMAIL_SMTP_SECURITY": "none",
        "PAPERTREND_EMAIL_FROM_ADDRESS": FROM,
    }
    log = site_dir / "web.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "papertrend.cli", "web"], env=env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail(f"papertrend web did not start: {log.read_text()[-2000:]}")
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text()


def cli(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={k: v for k, v in env.items() if k.startswith("PAPERTREND_")})
    assert result.exit_code == 0, result.output + str(result.exception)
    return result.output


def mails_to(smtp, address: str):
    return [m.message for m in smtp.received if m.recipients == (address,)]


def no_sideways_scroll(page, url: str, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at {width}px"


def test_subscribe_confirm_manage_email_unsubscribe_in_a_real_browser(browser, server, smtp, built_site):
    base, env = server
    week = built_site[1][-1]
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # CSP violations show here
    # Subscribe: the confirmation arrives, nothing else.
    page.goto(f"{base}/subscribe")
    page.fill("input[name=address]", "ada@example.org")
    page.fill("textarea[name=keywords]", "agents")
    page.click("form.prefs button[type=submit]")
    assert "Check your inbox" in page.inner_text("main")
    (confirmation,) = mails_to(smtp, "ada@example.org")
    link = re.search(rf"{re.escape(base)}/confirm/[0-9a-f]{{40}}", confirmation.get_content()).group(0)
    # Follow it: a button, then the manage page.
    no_sideways_scroll(page, link, "confirm")  # a GET: confirms nothing
    page.click("text=Confirm my subscription")
    assert "Your subscription is confirmed" in page.inner_text("main")
    # Manage: change the keywords.
    page.fill("textarea[name=keywords]", "zyxquorp")
    page.click("button[value=save]")
    assert "Saved." in page.inner_text("main")
    no_sideways_scroll(page, page.url.split("?")[0], "manage")
    # `papertrend email`: the message reflects them.
    cli(env, "email", "--week", week)
    (confirmation, digest) = mails_to(smtp, "ada@example.org")
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert "zyxquorp" in text.split("YOUR TOPICS", 1)[1].lower()[:2000]
    unsubscribe = re.search(r"<(http://[^>]+/unsubscribe/[0-9a-f]{40})>", digest["List-Unsubscribe"]).group(1)
    # Its unsubscribe link: a confirm button, pressed.
    no_sideways_scroll(page, unsubscribe, "unsubscribe")
    page.click("form button.danger")
    assert "You are unsubscribed" in page.inner_text("main")
    # The next run, and a resend, send nothing to that address.
    cli(env, "email", "--week", week, "--resend")
    assert len(mails_to(smtp, "ada@example.org")) == 2
    assert errors == []


def test_a_mail_provider_one_click_post_unsubscribes_with_200(server, smtp, built_site):
    _, env = server
    week = built_site[1][-1]
    cli(env, "subscribers", "add", "bob@example.org")
    cli(env, "email", "--week", week)
    (digest,) = mails_to(smtp, "bob@example.org")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https?://[^>]+)>", digest["List-Unsubscribe"].split(",")[-1]).group(1)
    answer = httpx.post(
        url, content=b"List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 200
    cli(env, "email", "--week", week, "--resend")
    assert len(mails_to(smtp, "bob@example.org")) == 1


def test_search_and_story_pages_in_a_real_browser_fit_390_and_1280_px(browser, server, built_site):
    base, _ = server
    page = browser.new_page()
    page.goto(base)
    page.fill("header input[name=q]", "Zyxquorp")  # a word of the hostile paper's abstract
    page.press("header input[name=q]", "Enter")
    page.click(f"ol.results a[href='/papers/{HOSTILE_ID}']")
    assert page.url.endswith(f"/papers/{HOSTILE_ID}")
    assert page.evaluate("window.__hostile === undefined")  # nothing of the scraped text ran
    page.goto(base)
    story = page.get_attribute("section.story h3 a", "href")
    page.goto(base + story)
    assert page.locator(".chart rect").count() >= 5
    week = built_site[1][-1]
    pages = {
        "home": "/",
        "weeks": "/weeks",
        "week": f"/weeks/{week}",
        "story": story,
        "paper": f"/papers/{HOSTILE_ID}",
        "search": "/search?q=model",
        "subscribe": "/subscribe",
        "missing": "/nope",
    }
    for name, path in pages.items():
        no_sideways_scroll(page, base + path, name)

"""In Chromium: the console's queue page updates itself when a ticket comes in, without a reload; an
account of the other team hears nothing of it on its event stream; without EventSource the page polls."""

from __future__ import annotations

import pytest

from tests.web.conftest import AUTHORITY_QUESTION, PASSWORD, Browserless, hand_over, new_http
from tests.web.test_browser import DESKTOP, browser, chromium, shot  # noqa: F401  (fixtures)
from tests.web.test_live_queue import coordinator_ticket, open_stream

pytestmark = pytest.mark.browser

# Records the notifications the page shows (headless Chromium shows none), as if the coordinator allowed them.
FAKE_NOTIFICATIONS = """
window.shownNotifications = [];
window.Notification = class {
  constructor(title, options) { window.shownNotifications.push(title + " | " + (options || {}).body); }
  static get permission() { return localStorage.getItem("lotse-console-notify") ? "granted" : "default"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""


@pytest.fixture
def web_config(web_config):
    return web_config.model_copy(update={"web": web_config.web.model_copy(update={"console_poll_seconds": 1})})


async def logged_in_queue(browser, server, username: str, init_script: str = ""):  # noqa: F811
    context = await browser.new_context(viewport=DESKTOP, locale="de-DE")
    if init_script:
        await context.add_init_script(init_script)
    page = await context.new_page()
    await page.goto(f"{server.url}/console/queue")
    await page.get_by_label("Benutzername").fill(username)
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await page.get_by_role("heading", name="Warteschlange").wait_for()
    return context, page


async def test_a_second_employers_ticket_appears_in_the_open_queue_without_a_reload(server, browser):  # noqa: F811
    async with new_http() as first, new_http() as second, new_http() as carl_http:
        earlier = await hand_over(Browserless(first, server.url), AUTHORITY_QUESTION, company="Erste GmbH")
        context, page = await logged_in_queue(browser, server, "anna", FAKE_NOTIFICATIONS)
        await page.locator(f'tr[data-ticket="{earlier}"]').wait_for()
        assert await page.title() == "(1) Warteschlange · Lotse"
        await page.get_by_role("button", name="Bei neuen Tickets benachrichtigen").click()
        await page.get_by_role("button", name="Bei neuen Tickets benachrichtigen").wait_for(state="hidden")
        await page.evaluate("window.loadedOnce = true")  # gone if the page were loaded again
        carl = Browserless(carl_http, server.url)
        await carl.login("carl")
        carl_stream = await open_stream(carl)

        ticket = await hand_over(Browserless(second, server.url), AUTHORITY_QUESTION, company="Zweite KG")
        row = page.locator(f'tr[data-ticket="{ticket}"]')
        await row.wait_for(timeout=10000)
        assert "Zweite KG" in await row.inner_text()
        assert await page.evaluate("window.loadedOnce") is True
        assert await page.title() == "(2) Warteschlange · Lotse"
        assert await page.evaluate("window.shownNotifications") == [f"Neues Ticket #{ticket} | Ausländerbehörde"]
        await shot(page, "console-queue-live")

        # Carl (coordinator) listened all along: the next event he hears is his own team's new ticket,
        # not the authority's (events come in order)
        theirs = await coordinator_ticket(server)
        assert await carl_stream.next_event() == (
            "ticket",
            {"ticket": theirs, "action": "opened", "team": "coordinator", "status": "open"},
        )
        assert await page.evaluate("window.shownNotifications.length") == 1  # and Anna is not told of it
        await context.close()


async def test_without_event_source_the_queue_polls(server, browser):  # noqa: F811
    context, page = await logged_in_queue(browser, server, "carl", "delete window.EventSource;")
    await page.get_by_text("Keine passenden Tickets.").or_(page.locator("#queue-table p.empty")).first.wait_for()
    ticket = await coordinator_ticket(server)
    await page.locator(f'tr[data-ticket="{ticket}"]').wait_for(timeout=10000)  # within a few polls of 1 s
    assert await page.title() == "(1) Warteschlange · Lotse"
    await context.close()

"""In Chromium: the console's queue page updates itself when a ticket comes in, without a reload; an
account of the other team hears nothing of it on its event stream; without EventSource the page polls.
An open ticket page shows the employer's reply, a colleague's claim, file (which downloads) and close
without a reload, says so when the ticket is handed to another team, and polls without EventSource."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import AUTHORITY_QUESTION, PASSWORD, Browserless, hand_over, new_http
from tests.web.test_browser import DESKTOP, browser, chromium, shot  # noqa: F401  (fixtures)
from tests.web.test_console_files import PDF, send
from tests.web.test_live_queue import coordinator_ticket, open_stream
from tests.web.test_live_ticket import employer_writes

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


async def logged_in_ticket(browser, server, username: str, ticket: int, init_script: str = ""):  # noqa: F811
    context, page = await logged_in_queue(browser, server, username, init_script)
    await page.goto(f"{server.url}/console/tickets/{ticket}")
    await page.locator("#ticket-conversation").wait_for()
    await page.evaluate("window.loadedOnce = true")  # gone if the page were loaded again
    return context, page


async def test_the_open_ticket_page_shows_the_employer_and_a_colleague_without_a_reload(server, browser):  # noqa: F811
    await server.services.accounts.add("bert", PASSWORD, ["authority"], "Bert Behörde")
    async with new_http() as employer_http, new_http() as bert_http:
        employer = Browserless(employer_http, server.url)
        ticket = await hand_over(employer, AUTHORITY_QUESTION, company="Erste GmbH")
        context, page = await logged_in_ticket(browser, server, "anna", ticket)
        conversation, state = page.locator("#ticket-conversation"), page.locator("#ticket-state")
        assert await page.title() == f"Ticket #{ticket} · Lotse"

        await employer_writes(employer, "Die Zusage der Berufsschule liegt jetzt vor.")
        await conversation.get_by_text("Die Zusage der Berufsschule liegt jetzt vor.").wait_for(timeout=10000)

        bert = Browserless(bert_http, server.url)
        await bert.login("bert")
        await bert.post(f"/console/tickets/{ticket}/claim")
        await state.get_by_text("Übernommen von Bert Behörde").wait_for(timeout=10000)
        await send(bert, ticket, "Checkliste.pdf", PDF)  # a file from a colleague appears, and downloads
        link = conversation.get_by_role("link", name="📎 Checkliste.pdf")
        await link.wait_for(timeout=10000)
        async with page.expect_download() as downloading:
            await link.click()
        download = await downloading.value
        assert download.suggested_filename == "Checkliste.pdf"
        assert Path(await download.path()).read_bytes() == PDF
        await shot(page, "console-ticket-live")

        await bert.post(f"/console/tickets/{ticket}/close")
        await state.get_by_text("Dieses Ticket ist geschlossen.").wait_for(timeout=10000)
        await page.get_by_label("Ihre Antwort an den Arbeitgeber").wait_for(state="hidden")
        assert await page.evaluate("window.loadedOnce") is True
        await context.close()


async def test_a_ticket_handed_away_stops_updating_and_says_so(server, browser):  # noqa: F811
    async with new_http() as employer_http, new_http() as bert_http:
        ticket = await hand_over(Browserless(employer_http, server.url), AUTHORITY_QUESTION)
        context, page = await logged_in_ticket(browser, server, "anna", ticket)
        await server.services.accounts.add("bert", PASSWORD, ["authority"], "Bert Behörde")
        bert = Browserless(bert_http, server.url)
        await bert.login("bert")
        await bert.post(f"/console/tickets/{ticket}/handover", to_team="coordinator", text="Förderfrage")
        await page.get_by_text("Dieses Ticket ist nicht mehr in den Warteschlangen Ihrer Teams").wait_for(timeout=10000)
        assert await page.evaluate("window.loadedOnce") is True
        await context.close()


async def test_without_event_source_the_ticket_page_polls(server, browser):  # noqa: F811
    async with new_http() as employer_http:
        employer = Browserless(employer_http, server.url)
        ticket = await hand_over(employer, AUTHORITY_QUESTION)
        context, page = await logged_in_ticket(browser, server, "anna", ticket, "delete window.EventSource;")
        await employer_writes(employer, "Geht es auch ohne Ereignisstrom?")
        await (
            page.locator("#ticket-conversation")
            .get_by_text("Geht es auch ohne Ereignisstrom?")
            .wait_for(
                timeout=10000  # within a few polls of 1 s
            )
        )
        assert await page.evaluate("window.loadedOnce") is True
        await context.close()

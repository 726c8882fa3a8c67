"""The console's ticket page for a WhatsApp ticket, over real HTTP: the window, each message's
delivery state, "Arbeitgeber muss erneut schreiben" with the contact, and a retry that resends."""

from __future__ import annotations

import aiohttp

from bot.tickets.models import OutboxMessage
from tests.web.conftest import PASSWORD, Browserless
from tests.whatsapp.test_transcripts import rows
from tests.whatsapp.test_window import hand_over


async def console(lotse) -> Browserless:
    await lotse.web.accounts.add("kim", PASSWORD, ["authority", "coordinator"], "Kim Berater")
    client = Browserless(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)), lotse.base)
    assert (await client.login("kim")).status == 200
    return client


async def test_waiting_answer_failed_message_and_retry_on_the_ticket_page(lotse, anna, standin):
    ticket = await hand_over(lotse, anna, notify=False)
    client = await console(lotse)
    try:
        page = await (await client.http.get(f"{lotse.base}/console/tickets/{ticket.id}")).text()
        assert "WhatsApp-Fenster" in page and "offen bis" in page and "Arbeitgeber muss erneut schreiben" not in page

        standin.fail_next(131026)
        response = await client.post(f"/console/tickets/{ticket.id}/answer", text="Erste Antwort.")
        assert response.status == 200
        await lotse.drain()
        page = await (await client.http.get(f"{lotse.base}/console/tickets/{ticket.id}")).text()
        assert "fehlgeschlagen" in page and "131026" in page and "Erneut senden" in page

        [row] = await rows(lotse, OutboxMessage, OutboxMessage.purpose == "answer")
        before = len(anna.sent())
        await client.post(f"/console/tickets/{ticket.id}/retry", message=str(row.id))
        await lotse.drain()
        assert len(anna.sent()) == before + 1 and "Erste Antwort." in anna.sent()[-1].text  # really resent
        page = await (await client.http.get(f"{lotse.base}/console/tickets/{ticket.id}")).text()
        assert "von WhatsApp angenommen" in page and "Erneut senden" not in page

        lotse.clock.advance(hours=25)
        await client.post(f"/console/tickets/{ticket.id}/answer", text="Zweite Antwort.")
        await lotse.drain()
        page = await (await client.http.get(f"{lotse.base}/console/tickets/{ticket.id}")).text()
        assert "Arbeitgeber muss erneut schreiben" in page and "nur über den Chat" in page
        assert "wartet auf den Arbeitgeber" in page and "geschlossen" in page
        queue = await (await client.http.get(f"{lotse.base}/console/queue")).text()
        assert "Antwort wartet (WhatsApp)" in queue
    finally:
        await client.http.close()

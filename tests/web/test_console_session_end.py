"""A coordinator's answer sent after her session ended is kept, not lost (found in the QA pass: the
console said "log in first", and going back reloaded the form empty)."""

from __future__ import annotations

import asyncio
import html
import re

from handlers.web.server import serving
from tests.web.conftest import AUTHORITY_QUESTION, CSRF, PASSWORD, Browserless, hand_over, new_http

ANSWER = "Guten Tag, der Antrag ist da. <b>Termin</b> folgt per Post – bitte Pass & Vertrag mitbringen."


async def test_an_answer_sent_after_the_session_ended_is_kept_on_the_log_in_page(web_config, shared_core):
    one_second = web_config.web.model_copy(update={"session_idle_minutes": 1 / 60})
    config = web_config.model_copy(update={"web": one_second})
    async with serving(config, knowledge=shared_core.knowledge, host="127.0.0.1", port=0) as server:
        await server.services.accounts.add("anna", PASSWORD, ["authority"], "Anna Authority")
        async with new_http() as employer_http, new_http() as anna_http:
            employer = Browserless(employer_http, server.url)
            ticket = await hand_over(employer, AUTHORITY_QUESTION)
            anna = Browserless(anna_http, server.url)
            await anna.login("anna")
            assert (await anna.post(f"/console/tickets/{ticket}/claim")).status == 200

            await asyncio.sleep(2.2)  # she writes for longer than the session may idle
            refused = await anna.post(f"/console/tickets/{ticket}/answer", text=ANSWER)
            page = await refused.text()
            assert refused.status == 401
            assert "Your session had ended, so this was not sent" in page or "Sitzung war abgelaufen" in page
            assert f"readonly>{html.escape(ANSWER)}</textarea>" in page  # kept, as text, not as markup
            assert "<b>Termin</b>" not in page
            assert f'name="next" value="/console/tickets/{ticket}"' in page
            assert not any(ANSWER in m.get("text", "") for m in await employer.chat_messages())  # nothing sent

            # She logs in from that very page and is back at the ticket; sent again, the answer arrives.
            landed = await anna_http.post(
                f"{server.url}/console/login",
                data={
                    "csrf": CSRF.search(page).group(1),
                    "username": "anna",
                    "password": PASSWORD,
                    "next": f"/console/tickets/{ticket}",
                },
            )
            assert landed.url.path == f"/console/tickets/{ticket}"
            anna.csrf = CSRF.search(await landed.text()).group(1)
            assert (await anna.post(f"/console/tickets/{ticket}/answer", text=ANSWER)).status == 200
            for _ in range(100):  # the outbox delivers within its poll interval
                if any(ANSWER in m.get("text", "") for m in await employer.chat_messages()):
                    break
                await asyncio.sleep(0.05)
            assert any(ANSWER in m.get("text", "") for m in await employer.chat_messages())


async def test_a_form_without_text_still_just_asks_to_log_in(client, server):
    response = await client.http.post(f"{server.url}/console/tickets/1/claim", data={"csrf": "x"})
    assert response.status == 401 and await response.text() == "log in first"
    assert re.search("log in", await response.text())

"""The employers' web chat over HTTP, and a coordinator's answer reaching it through the outbox."""

from __future__ import annotations

import asyncio
import re

import yaml

from bot.stats import percentile
from bot.stats import report as stats_report
from tests.web.conftest import AUTHORITY_QUESTION, Browserless, hand_over, new_http


async def test_chat_needs_a_valid_token(server, http):
    response = await http.post(f"{server.url}/chat/api/send", json={"text": "Hallo"})
    assert response.status == 401
    response = await http.get(f"{server.url}/chat/api/messages", headers={"X-Chat-Token": "short"})
    assert response.status == 401


async def test_a_question_is_answered_with_buttons_and_feedback(client):
    greeting = await client.say(text="/start")
    assert "Lotse" in greeting[0]["text"]
    assert not any(m["role"] == "employer" for m in greeting)  # the page's automatic /start is not shown
    answer = (await client.say(text="Darf jemand mit Duldung bei uns arbeiten?"))[-1]
    assert answer["role"] == "bot" and answer["title"]
    assert answer["links"] and all(link["url"].startswith("https://") for link in answer["links"])
    payloads = [b["payload"] for row in answer["buttons"] for b in row]
    vote = next(p for p in payloads if p.startswith("fb:u:"))
    thanks = (await client.say(payload=vote, label="👍"))[-1]
    assert thanks["role"] == "bot" and "Danke" in thanks["text"]


async def test_html_in_a_question_stays_text(client, server):
    question = 'Wer prüft den Einzelfall? <img src=x onerror="alert(1)"> <script>alert(2)</script> Ausländerbehörde'
    ticket = await hand_over(client, question, company="<b>Fett</b> GmbH")
    mine = [m for m in await client.chat_messages() if m["role"] == "employer"]
    assert mine[0]["text"] == question  # stored as the text it was; the page sets it with textContent
    coordinator = Browserless(client.http, server.url)
    await coordinator.login("anna")
    for page in (f"/console/tickets/{ticket}", "/console/queue"):
        html = await (await client.http.get(server.url + page)).text()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Fett</b>" not in html
        assert "&lt;b&gt;Fett&lt;/b&gt; GmbH" in html


async def test_coordinators_answer_reaches_the_web_chat(client, server, http):
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    coordinator = Browserless(new_http(), server.url)
    try:
        await coordinator.login("anna")
        queue = await (await coordinator.http.get(f"{server.url}/console/queue?q=Einzelfall")).text()
        assert f"/console/tickets/{ticket}" in queue
        page = await (await coordinator.http.get(f"{server.url}/console/tickets/{ticket}")).text()
        assert "Muster GmbH" in page and "authority" in page  # employer and the bot's classification
        await coordinator.post(f"/console/tickets/{ticket}/claim")
        await coordinator.post(f"/console/tickets/{ticket}/answer", text="Bitte senden Sie uns die Duldung.")
        team = []
        for _ in range(50):  # the outbox worker delivers within its poll interval
            team = [m for m in await client.chat_messages() if m["role"] == "team"]
            if any("Duldung" in m["text"] for m in team):
                break
            await asyncio.sleep(0.1)
        answer = next(m for m in team if "Duldung" in m["text"])
        assert f"#{ticket}" in answer["title"]
        assert [b["payload"] for row in answer["buttons"] for b in row] == [f"tk:{ticket}:reply", f"tk:{ticket}:solved"]
        page = await (await coordinator.http.get(f"{server.url}/console/tickets/{ticket}")).text()
        assert "claimed" in page and "answered" in page  # the audit trail

        proposed = await coordinator.post(
            f"/console/tickets/{ticket}/propose",
            question="Darf er arbeiten?",
            answer="Erst mit Erlaubnis.\nFragen Sie uns.",
            topic_id="",
            new_topic_id="permit.new_case",
        )
        assert proposed.status == 200
    finally:
        await coordinator.http.close()
    editor = Browserless(http, server.url)
    await editor.login("carl")
    exported = await (await http.get(f"{server.url}/console/suggestions.yml")).text()
    [topic] = yaml.safe_load(exported)
    assert topic["id"] == "permit.new_case" and topic["answer"]["de"] == "Erst mit Erlaubnis.\nFragen Sie uns.\n"
    assert topic["examples"]["de"] == ["Darf er arbeiten?"]


async def test_hand_over_to_the_other_team_with_a_note(client, server, http):
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    coordinator = Browserless(http, server.url)
    await coordinator.login("anna")
    done = await coordinator.post(
        f"/console/tickets/{ticket}/handover", to_team="coordinator", text="Eher Förderung", follow=False
    )
    assert done.status == 303 and done.headers["Location"] == "/console/queue"
    moved = await server.services.tickets.get(ticket)
    assert moved.team == "coordinator" and moved.status == "open"


async def test_statistics_page_draws_charts(client, server):
    await client.say(text="Darf jemand mit Duldung bei uns arbeiten?")
    await client.say(text="asdf qwer zxcv")
    await hand_over(client, AUTHORITY_QUESTION)
    await client.login("carl")
    for period in ("day", "week"):
        html = await (await client.http.get(f"{server.url}/console/stats?period={period}")).text()
        assert html.count("<svg") >= 4 and 'role="img"' in html
    html = await (await client.http.get(f"{server.url}/console/stats?lang=en")).text()
    assert "Editors&#39; to-do" in html or "Editors' to-do" in html
    result = await stats_report(server.services.database, server.services.config, "day")
    today = result.buckets[-1]
    assert today.questions >= 3 and today.handed_over == 1 and today.answered >= 1
    assert re.search(r"asdf qwer zxcv", html)  # the editors' to-do lists the question the bot could not answer


def test_percentiles_count_like_people():
    hours = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert percentile(hours, 0.5) == 5 and percentile(hours, 0.9) == 9
    assert percentile([4.0], 0.9) == 4.0

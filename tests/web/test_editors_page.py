"""The editors' page: answers the law may have overtaken, next to the questions the bot could not answer."""

from __future__ import annotations

import datetime as dt

from handlers.web.editors import stale_law


async def test_the_editors_page_lists_stale_law_next_to_unanswered_questions(client, server):
    await client.say(text="asdf qwer zxcv")
    await client.login("carl")  # an editor
    html = await (await client.http.get(f"{server.url}/console/suggestions?lang=en")).text()
    assert "Law changed since the review" in html and "Questions the bot could not answer" in html
    assert "asdf qwer zxcv" in html
    german = await (await client.http.get(f"{server.url}/console/suggestions?lang=de")).text()
    assert "Gesetz seit der Prüfung geändert" in german


async def test_stale_law_follows_the_date_of_the_change(server):
    """faq/_law-changes.yml names the minimum wage of 1 Jan 2027; topics reviewed before it show up from that day."""
    assert stale_law(server.services, today=dt.date(2026, 12, 31)) == []
    later = stale_law(server.services, today=dt.date(2027, 1, 1))
    assert "workplace.labour_law" in {s.topic_id for s in later}
    assert all(s.change.date == dt.date(2027, 1, 1) and "MiLoG § 1" in s.change.norms for s in later)

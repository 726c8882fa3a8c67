"""The console in a network: an account of district A sees and acts on A's tickets and figures only
(also by direct request); the network role sees every district side by side and their common FAQ gaps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import DatabaseSettings
from bot.db import DbChatStore
from bot.decision import Decision, Route
from bot.districts.stats import network_report
from bot.stats import report
from bot.tickets.files import check_upload, send_file
from bot.tickets.service import Actor
from handlers.web.server import serving
from tests.web.conftest import PASSWORD, SECRET, Browserless, hand_over, new_http

QUESTION = "Ich brauche eine Person von der Ausländerbehörde, die den Einzelfall meines Mitarbeiters prüft"


@pytest.fixture
async def server(network_config, shared_core, tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_SESSION_SECRET", SECRET)
    config = network_config.model_copy(
        update={"database": DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/w.db")}
    )
    async with serving(config, knowledge=shared_core.knowledge, host="127.0.0.1", port=0) as running:
        accounts = running.services.accounts
        await accounts.add("nora", PASSWORD, ["nordheide/authority"], "Nora Nordheide")
        await accounts.add("hilde", PASSWORD, ["hafenberg/authority"], "Hilde Hafenberg", editor=True)
        await accounts.add("lena", PASSWORD, ["network"], "Lena Land")
        yield running


async def employer_hands_over(server, district: str, company: str) -> int:
    employer = Browserless(new_http(), server.url)
    try:
        await employer.say(text=f"/start {district}")
        return await hand_over(employer, QUESTION, company=company)
    finally:
        await employer.http.close()


async def login(server, username: str) -> Browserless:
    person = Browserless(new_http(), server.url)
    await person.login(username)
    return person


async def test_a_district_account_sees_and_acts_on_its_district_only(server):
    nord = await employer_hands_over(server, "nordheide", "Nord-Bäckerei GmbH")
    hafen = await employer_hands_over(server, "hafenberg", "Hafen-Werft AG")
    assert (await server.services.tickets.get(hafen)).team == "hafenberg/authority"
    nora = await login(server, "nora")
    try:
        queue = await (await nora.http.get(f"{server.url}/console/queue?status=all")).text()
        assert "Nord-Bäckerei GmbH" in queue and "Hafen-Werft AG" not in queue
        assert (await nora.http.get(f"{server.url}/console/tickets/{hafen}")).status == 404
        for action in ("claim", "close"):
            assert (await nora.post(f"/console/tickets/{hafen}/{action}", follow=False)).status == 404
        assert (await server.services.tickets.get(hafen)).status == "open"
        page = await (await nora.http.get(f"{server.url}/console/tickets/{nord}")).text()
        assert "hafenberg/" not in page  # hand-over offers only her district's other team
        await nora.post(f"/console/tickets/{nord}/handover", to_team="hafenberg/coordinator", text="weiter")
        assert (await server.services.tickets.get(nord)).team == "nordheide/authority"  # refused
        assert (await nora.http.get(f"{server.url}/console/stats/districts")).status == 403
    finally:
        await nora.http.close()


async def test_another_districts_ticket_page_its_files_and_its_stream_are_not_found(server):
    hafen = await employer_hands_over(server, "hafenberg", "Hafen-Werft AG")
    hilde = Actor("staff", "web:hilde", "Hilde Hafenberg", ("hafenberg/authority",))
    upload = check_upload("Merkblatt.pdf", b"%PDF-1.4\n%%EOF\n", server.services.config.tickets.files, "de")
    await send_file(server.services.tickets, hafen, hilde, upload)
    hilde_account = await server.services.accounts.login("hilde", PASSWORD)
    [sent] = (await server.services.view.detail(hilde_account, hafen)).files.values()
    assert (await server.services.view.file(hilde_account, hafen, sent.id)).data.startswith(b"%PDF")
    nora = await login(server, "nora")
    try:
        for path in (f"files/{sent.id}", "events", "live", ""):
            response = await nora.http.get(f"{server.url}/console/tickets/{hafen}/{path}".rstrip("/"))
            assert response.status == 404, path
            assert b"%PDF" not in await response.read()
    finally:
        await nora.http.close()


async def test_figures_are_scoped_to_the_accounts_districts(server):
    await employer_hands_over(server, "nordheide", "Nord-Bäckerei GmbH")
    await employer_hands_over(server, "hafenberg", "Hafen-Werft AG")
    await employer_hands_over(server, "hafenberg", "Hafen-Kontor KG")
    database, config = server.services.database, server.services.config
    hafen = await report(database, config, "day", teams=("hafenberg/authority",), editor=True, districts=("hafenberg",))
    everyone = await report(database, config, "day")
    assert sum(b.handed_over for b in hafen.buckets) == 2 and sum(b.handed_over for b in everyone.buckets) == 3
    assert sum(b.questions for b in hafen.buckets) < sum(b.questions for b in everyone.buckets)


async def test_the_network_role_sees_districts_side_by_side_and_common_gaps(server):
    await employer_hands_over(server, "nordheide", "Nord-Bäckerei GmbH")
    store = DbChatStore(server.services.database)
    unsure = Decision(Route.CLARIFY, "permit.processing_time", 0.3, (), "too close: offer 2 topics")
    for chat, district in (("n1", "nordheide"), ("h1", "hafenberg"), ("h2", "hafenberg"), ("t1", "talwald")):
        await store.set_district("web", chat, district)
        await store.record_decision("web", chat, "Wie lange dauert das?", "de", unsure)
    lonely = Decision(Route.CLARIFY, "funding.wage_subsidy", 0.3, (), "too close")
    await store.set_district("web", "t2", "talwald")
    await store.record_decision("web", "t2", "Zuschuss?", "de", lonely)

    result = await network_report(server.services.database, server.services.config)
    rows = {d.district: d for d in result.districts}
    assert (rows["nordheide"].handed_over, rows["hafenberg"].handed_over, rows["talwald"].handed_over) == (1, 0, 0)
    assert (rows["hafenberg"].unanswered, rows["talwald"].unanswered) == (2, 2)
    [gap] = result.gaps  # funding.wage_subsidy is one district's gap only
    assert gap.label == "permit.processing_time" and gap.per_district == {"nordheide": 1, "hafenberg": 2, "talwald": 1}
    old = await network_report(server.services.database, server.services.config, now=result_now(days=60))
    assert old.gaps == [] and all(d.questions == 0 for d in old.districts)

    lena = await login(server, "lena")
    try:
        page = await (await lena.http.get(f"{server.url}/console/stats/districts?lang=de")).text()
        assert "Landkreise und Städte im Vergleich" in page and "Stadt Hafenberg (Beispiel)" in page
        assert "permit.processing_time" in page
        assert "/console/stats/districts" in await (await lena.http.get(f"{server.url}/console/stats")).text()
        queue = await (await lena.http.get(f"{server.url}/console/queue?status=all")).text()
        assert "Nord-Bäckerei GmbH" not in queue  # the network role sees figures, not employers' cases
    finally:
        await lena.http.close()


def result_now(days: int):
    from bot.db.models import utcnow

    return utcnow() + timedelta(days=days)

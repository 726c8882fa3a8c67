"""The console refuses everyone without a session, checks CSRF tokens, locks out guessers and
shows each account only its teams' tickets."""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from handlers.web.app import CONSOLE
from handlers.web.security import PUBLIC
from tests.web.conftest import AUTHORITY_QUESTION, PASSWORD, Browserless, hand_over, new_http

# Routes of the main application outside the console; anything else found there fails the test,
# so a console page cannot be added beside the console's guard by mistake.
OUTSIDE_CONSOLE = {"/", "/chat", "/console", "/healthz", "/metrics", "/static"}


def console_routes(server, sample: str = "1") -> list[tuple[str, str, str]]:
    """(method, path, name) of every route of the console, with sample ids filled in."""
    routes = []
    for resource in server.runner.app[CONSOLE].router.resources():
        for route in resource:
            if route.method == "HEAD":
                continue
            path = re.sub(r"\{[a-z_]+\}", sample, resource.canonical)
            routes.append((route.method, "/console" + path, route.name or ""))
    return routes


async def test_every_console_route_needs_a_session(server, http):
    routes = console_routes(server)
    assert len(routes) >= 14  # login, queue, ticket, actions, stats, suggestions ...
    for method, path, name in routes:
        if name in PUBLIC:
            continue
        response = await http.request(method, server.url + path, allow_redirects=False, data={"csrf": "x"})
        if method == "GET":
            assert response.status == 302, (method, path)
            assert response.headers["Location"].startswith("/console/login?next="), path
        else:
            assert response.status == 401, (method, path, response.status)
        assert "Muster" not in await response.text()


async def test_no_console_route_outside_the_guarded_sub_application(server):
    for resource in server.runner.app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            assert resource.canonical in ("/console", "/chat"), resource.canonical
        else:
            assert resource.canonical in OUTSIDE_CONSOLE, resource.canonical


async def test_unknown_console_paths_are_refused_too(server, http):
    response = await http.get(server.url + "/console/admin", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"].startswith("/console/login")


async def test_post_without_the_sessions_csrf_token_is_refused(client, server):
    employer = Browserless(new_http(), server.url)
    try:
        ticket = await hand_over(employer, AUTHORITY_QUESTION)
    finally:
        await employer.http.close()
    assert (await client.login("anna")).status == 200
    for csrf in ("", "forged-token"):
        response = await client.http.post(
            f"{server.url}/console/tickets/{ticket}/claim", data={"csrf": csrf}, allow_redirects=False
        )
        assert response.status == 403
    assert (await server.services.tickets.get(ticket)).status == "open"
    response = await client.post(f"/console/tickets/{ticket}/claim", follow=False)
    assert response.status == 303
    assert (await server.services.tickets.get(ticket)).status == "claimed"


async def test_login_form_needs_its_csrf_token(server, http):
    response = await http.post(
        f"{server.url}/console/login", data={"username": "anna", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 403


async def test_lock_out_after_repeated_failures(client, server):
    for _ in range(server.services.config.web.login_max_failures):
        assert (await client.login("anna", "wrong password!")).status == 401
    refused = await client.login("anna", PASSWORD)  # this address failed for anna: it waits, right password or not
    assert refused.status == 429
    [row] = [row for row in await server.services.accounts.list() if row.username == "anna"]
    assert row.locked_until is not None  # elsewhere her right password still works (tests/web/test_hardening.py)


async def test_unknown_user_gets_the_same_answer(client):
    response = await client.login("nobody", PASSWORD)
    assert response.status == 401


async def test_disabled_account_loses_its_session(client, server):
    assert (await client.login("anna")).status == 200
    assert (await client.http.get(f"{server.url}/console/queue", allow_redirects=False)).status == 200
    await server.services.accounts.disable("anna")
    response = await client.http.get(f"{server.url}/console/queue", allow_redirects=False)
    assert response.status == 302


async def test_logout_ends_the_session(client, server):
    await client.login("anna")
    assert (await client.post("/console/logout", follow=False)).status == 303
    assert (await client.http.get(f"{server.url}/console/queue", allow_redirects=False)).status == 302


async def test_accounts_see_only_their_teams_tickets(client, server, http):
    employer = Browserless(new_http(), server.url)
    try:
        ticket = await hand_over(employer, AUTHORITY_QUESTION, company="Nur-Behörde AG")
    finally:
        await employer.http.close()
    await client.login("carl")  # coordinator team only
    queue = await (await client.http.get(f"{server.url}/console/queue?status=all")).text()
    assert "Nur-Behörde AG" not in queue
    assert (await client.http.get(f"{server.url}/console/tickets/{ticket}")).status == 404
    response = await client.post(f"/console/tickets/{ticket}/claim", follow=False)
    assert response.status == 404
    assert (await server.services.tickets.get(ticket)).status == "open"


async def test_editors_pages_are_for_editors(client, server):
    await client.login("anna")  # not an editor
    assert (await client.http.get(f"{server.url}/console/suggestions")).status == 403
    assert (await client.http.get(f"{server.url}/console/suggestions.yml")).status == 403


async def test_no_open_redirect_after_login(server, http):
    client = Browserless(http, server.url)
    page = await http.get(f"{server.url}/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
    response = await http.post(
        f"{server.url}/console/login",
        allow_redirects=False,
        data={"csrf": csrf, "username": "anna", "password": PASSWORD, "next": "//evil.example/"},
    )
    assert response.status == 303 and response.headers["Location"] == "/console/queue"
    assert client.base


@pytest.mark.parametrize("path", ["/console/login", "/chat/"])
async def test_pages_send_security_headers(server, http, path):
    response = await http.get(server.url + path)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_browser_gets_a_page_back_to_the_queue_for_a_ticket_it_may_not_see(client, server):
    employer = Browserless(new_http(), server.url)
    try:
        ticket = await hand_over(employer, AUTHORITY_QUESTION, company="Nur-Behörde AG")
    finally:
        await employer.http.close()
    await client.login("carl")  # coordinator team only: the authority's ticket is not his
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "de-DE,de;q=0.9"}

    page = await client.http.get(f"{server.url}/console/tickets/{ticket}", headers=browser)
    assert page.status == 404 and page.content_type == "text/html"
    html = await page.text()
    assert "Dieses Ticket gibt es in den Warteschlangen Ihrer Teams nicht." in html
    assert 'href="/console/queue"' in html and "Zurück zur Warteschlange" in html
    assert "Nur-Behörde AG" not in html

    stale = await client.http.get(f"{server.url}/console/no-such-page", headers=browser)
    assert stale.status == 404 and "Diese Seite gibt es nicht." in await stale.text()
    expired = await client.http.post(
        f"{server.url}/console/tickets/{ticket}/claim", data={"csrf": "old"}, headers=browser, allow_redirects=False
    )
    assert expired.status == 403 and "Das Formular ist abgelaufen." in await expired.text()

    # the live page's own fetches ask for no HTML: they keep the short plain answer
    fetched = await client.http.get(f"{server.url}/console/tickets/{ticket}/live")
    assert fetched.status == 404 and fetched.content_type == "text/plain"

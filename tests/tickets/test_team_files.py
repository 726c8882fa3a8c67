"""Files from the team on Telegram: a document or photo in the ticket's topic reaches the employer
(sendDocument / sendPhoto at the stand-in), signed with the team's name; a file of a refused type or
over the limit stays in the group with a clear message; an employer's file stays refused."""

from __future__ import annotations

import pytest

from bot.accounts.service import Accounts
from bot.config import TeamFiles
from bot.tickets.files import FileRefused, check_upload, send_file
from bot.tickets.models import TeamFile, Ticket, TicketMessage
from bot.tickets.service import Contact
from handlers.telegram_app import running
from tests.telegram.conftest import telegram_config
from tests.tickets.conftest import AUTHORITY_GROUP, COORDINATOR_GROUP, with_teams
from tests.tickets.test_service import ANNA, open_ticket
from tests.tickets.test_telegram_flow import hand_over_to_authority, people, settle, standin, table  # noqa: F401
from tests.web.conftest import PASSWORD, Browserless, new_http
from tests.web.test_team_files import send

PDF = b"%PDF-1.4\n% Merkblatt Beschaeftigungserlaubnis\n" + b"0" * 2000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 800
EXE = b"MZ\x90\x00" + b"\x00" * 500
LIMIT = TeamFiles(max_megabytes=0.05)  # about 52 KB: small files in the tests
SECRET = "test-session-secret-" + "y" * 24


@pytest.fixture
async def bot(config, standin, db_url, shared_core, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LOTSE_SESSION_SECRET", SECRET)  # the console runs in the same process (web.enabled)
    tg_config = with_teams(telegram_config(config, standin, db_url), files=LIMIT)
    async with running(tg_config, knowledge=shared_core.knowledge) as running_bot:
        yield running_bot


def document(person, thread: int, file_id: str, name: str, size: int, caption: str = "") -> dict:
    update = person.message(caption, message_thread_id=thread, is_topic_message=True)
    message = update["message"]
    del message["text"]
    message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name, "file_size": size}
    if caption:
        message["caption"] = caption
    return update


def photo(person, thread: int, file_id: str, size: int) -> dict:
    update = person.message("", message_thread_id=thread, is_topic_message=True)
    message = update["message"]
    del message["text"]
    message["photo"] = [
        {"file_id": "thumb", "file_unique_id": "uthumb", "width": 90, "height": 60, "file_size": 100},
        {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600, "file_size": size},
    ]
    return update


async def ticket_in_topic(bot, standin, people):  # noqa: F811
    ticket, _ = await hand_over_to_authority(bot, people["employer"])
    await settle(bot)
    return ticket, int(standin.sent(AUTHORITY_GROUP)[0].params["message_thread_id"])


async def test_a_document_in_the_topic_reaches_the_employer(bot, standin, people):  # noqa: F811
    employer, officer = people["employer"], people["officer"]
    ticket, thread = await ticket_in_topic(bot, standin, people)
    standin.files["f-pdf"] = PDF
    await officer.deliver(document(officer, thread, "f-pdf", "Merkblatt.pdf", len(PDF), "Bitte ausfüllen."))
    await settle(bot)

    [sent] = [u for u in standin.uploads if u["chat_id"] == employer.chat["id"]]
    assert (sent["method"], sent["name"], sent["data"]) == ("sendDocument", "Merkblatt.pdf", PDF)
    assert "Merkblatt.pdf" in sent["caption"] and "Bitte ausfüllen." in sent["caption"]
    assert "— Ausländerbehörde" in sent["caption"] and "Olga" not in sent["caption"]
    assert "tk:1:reply" in str(sent["reply_markup"])  # the employer can reply to it like to an answer
    [stored] = await table(bot, TeamFile)
    assert (stored.ticket_id, stored.mime, stored.size) == (ticket.id, "application/pdf", len(PDF))
    assert any("Merkblatt.pdf" in m.text for m in await table(bot, TicketMessage, TicketMessage.author == "staff"))
    assert (await table(bot, Ticket))[0].status == "answered"


async def test_a_photo_goes_as_a_photo(bot, standin, people):  # noqa: F811
    employer, officer = people["employer"], people["officer"]
    _, thread = await ticket_in_topic(bot, standin, people)
    standin.files["f-jpg"] = JPEG
    await officer.deliver(photo(officer, thread, "f-jpg", len(JPEG)))
    await settle(bot)
    [sent] = [u for u in standin.uploads if u["chat_id"] == employer.chat["id"]]
    assert sent["method"] == "sendPhoto" and sent["data"] == JPEG


async def test_a_document_from_the_console_reaches_the_employer_on_telegram(bot, standin, people):  # noqa: F811
    employer = people["employer"]
    ticket, _ = await ticket_in_topic(bot, standin, people)
    accounts = Accounts(bot.database, bot.config.tickets.teams)
    await accounts.add("olga", PASSWORD, ["authority"], "Olga Amt")
    async with new_http() as http:
        coordinator = Browserless(http, bot.runtime.url)
        await coordinator.login("olga", PASSWORD)
        page = await send(coordinator, ticket.id, "Merkblatt.pdf", PDF, "Hier das Merkblatt.")
        assert 'class="flash ok"' in page
    await settle(bot)
    [sent] = standin.uploads
    assert (sent["method"], sent["chat_id"], sent["data"]) == ("sendDocument", employer.chat["id"], PDF)
    assert "Hier das Merkblatt." in sent["caption"] and "— Ausländerbehörde" in sent["caption"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("Merkblatt.pdf", EXE, "nur PDF, JPEG, PNG"),  # a program named like a PDF: the content decides
        ("setup.exe", EXE, "nur PDF, JPEG, PNG"),
        ("Formular.pdf", PDF + b"0" * 60_000, "höchstens 0.05 MB"),
    ],
)
async def test_a_refused_file_gets_a_clear_message_in_the_topic(bot, standin, people, name, content, expected):  # noqa: F811
    employer, officer = people["employer"], people["officer"]
    _, thread = await ticket_in_topic(bot, standin, people)
    standin.files["f-x"] = content
    to_employer = len(standin.sent(employer.chat["id"]))
    await officer.deliver(document(officer, thread, "f-x", name, len(content)))
    await settle(bot)
    refusal = standin.sent(AUTHORITY_GROUP)[-1]
    assert expected in refusal.text and int(refusal.params["message_thread_id"]) == thread
    assert not standin.uploads and len(standin.sent(employer.chat["id"])) == to_employer
    assert not await table(bot, TeamFile)


async def test_an_oversized_file_is_not_even_downloaded(bot, standin, people):  # noqa: F811
    officer = people["officer"]
    _, thread = await ticket_in_topic(bot, standin, people)
    await officer.deliver(document(officer, thread, "f-big", "Broschüre.pdf", 19 * 1024 * 1024))
    assert "19 MB" in standin.sent(AUTHORITY_GROUP)[-1].text
    assert not standin.of("getFile", ok_only=False)


async def test_files_from_employers_stay_refused(bot, standin, people):  # noqa: F811
    employer = people["employer"]
    update = employer.message("")
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "f-id", "file_unique_id": "u", "file_name": "Pass.pdf", "file_size": 9}
    [answer] = await employer.deliver(update)
    assert "Dateien kann ich leider nicht lesen" in answer.text and "keine Ausweisdokumente" in answer.text
    assert not standin.of("getFile", ok_only=False)


# -- the checks and the service, without Telegram ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [("a.pdf", PDF, "application/pdf"), ("b.PNG", PNG, "image/png"), ("c.jpeg", JPEG, "image/jpeg")],
)
def test_allowed_files_by_content_and_name(name, content, mime):
    assert check_upload(name, content, TeamFiles(), "en").mime == mime


@pytest.mark.parametrize(
    ("name", "content"),
    [("a.png", PDF), ("a.pdf", EXE), ("a.txt", b"%PDF-1.4 but named .txt"), ("a", PDF), ("a.pdf", b"")],
)
def test_refused_types(name, content):
    with pytest.raises(FileRefused, match="only PDF, JPEG, PNG"):
        check_upload(name, content, TeamFiles(), "en")


def test_a_type_left_out_of_the_config_is_refused():
    with pytest.raises(FileRefused, match="only PDF are allowed"):
        check_upload("a.png", PNG, TeamFiles(types=("pdf",)), "en")


def test_names_lose_paths_and_odd_characters():
    assert check_upload('../../etc/"x"\r\n.pdf', PDF, TeamFiles(), "en").name == "x_.pdf"


async def test_a_channel_without_files_gets_a_clear_refusal(desk):
    ticket = await desk.service.open(
        channel="terminal",
        chat_id="local",
        team="authority",
        lang="de",
        question="Wann wird der Titel verlängert?",
        company="Bäckerei Beispiel",
        contact=Contact("chat"),
    )
    with pytest.raises(FileRefused, match="the terminal"):
        await send_file(desk.service, ticket.id, ANNA, check_upload("a.pdf", PDF, TeamFiles(), "de"))
    telegram_ticket = await open_ticket(desk, chat="4712")
    await send_file(desk.service, telegram_ticket.id, ANNA, check_upload("a.pdf", PDF, TeamFiles(), "de"))


async def test_a_file_telegram_cannot_hand_over_is_named_in_the_topic(bot, standin, people):  # noqa: F811
    officer = people["officer"]
    _, thread = await ticket_in_topic(bot, standin, people)
    await officer.deliver(document(officer, thread, "f-gone", "Merkblatt.pdf", 1000))  # getFile: unknown id
    assert "noch einmal" in standin.sent(AUTHORITY_GROUP)[-1].text
    assert not standin.uploads and not await table(bot, TeamFile)


async def test_a_document_in_reply_to_the_card_in_a_plain_group(bot, standin, people):  # noqa: F811
    employer, officer, coordinator = people["employer"], people["officer"], people["coordinator"]
    await ticket_in_topic(bot, standin, people)
    await officer.presses("An Netzwerkkoordination übergeben")
    await settle(bot)
    await officer.presses("Ohne Notiz übergeben")
    await settle(bot)
    [card] = standin.sent(COORDINATOR_GROUP)
    standin.files["f-png"] = PNG
    update = coordinator.message("", reply_to_message=card.result)
    del update["message"]["text"]
    update["message"]["document"] = {
        "file_id": "f-png",
        "file_unique_id": "u",
        "file_name": "Plan.png",
        "file_size": 508,
    }
    update["message"]["caption"] = "The schedule."
    await coordinator.deliver(update)
    await settle(bot)
    [sent] = standin.uploads
    assert (sent["method"], sent["chat_id"], sent["data"]) == ("sendDocument", employer.chat["id"], PNG)
    assert "The schedule." in sent["caption"] and "— Netzwerkkoordination" in sent["caption"]

"""A team's file to an employer on WhatsApp: uploaded to the Graph API's /media, sent as a document
message, then the signed text with the Reply / Solved buttons; it waits for the window like an answer."""

from __future__ import annotations

from bot.config import TeamFiles
from bot.tickets.files import check_upload, send_file
from bot.window.models import WhatsAppDelivery
from tests.whatsapp.conftest import STAFF
from tests.whatsapp.test_transcripts import rows
from tests.whatsapp.test_window import hand_over

PDF = b"%PDF-1.4\n% Merkblatt\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_a_document_reaches_the_employer_on_whatsapp(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    upload = check_upload("Merkblatt.pdf", PDF, TeamFiles(), "de")
    await send_file(lotse.desk.service, ticket.id, STAFF, upload, "Bitte ausfüllen.")
    await lotse.drain()

    [(media_id, media)] = standin.media.items()
    assert (media["name"], media["type"], media["data"]) == ("Merkblatt.pdf", "application/pdf", PDF)
    document, text = anna.sent()[-2:]
    assert document.type == "document" and document.body["document"] == {"id": media_id, "filename": "Merkblatt.pdf"}
    assert "📎 Merkblatt.pdf" in text.text and "Bitte ausfüllen." in text.text and "— Ausländerbehörde" in text.text
    assert list(text.choices) == ["Antworten", "Gelöst, danke"]
    kinds = [d.kind for d in await rows(lotse, WhatsAppDelivery)]
    assert "document" in kinds  # the console shows its delivery like any other


async def test_a_photo_goes_as_an_image(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    upload = check_upload("photo-1.png", PNG, TeamFiles(), "de", as_photo=True)
    await send_file(lotse.desk.service, ticket.id, STAFF, upload)
    await lotse.drain()
    image = anna.sent()[-2]
    assert image.type == "image" and image.body["image"]["id"] in standin.media


async def test_outside_the_window_a_file_waits_for_the_template_tap_like_an_answer(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    before = len(anna.sent())
    lotse.clock.advance(hours=25)
    await send_file(lotse.desk.service, ticket.id, STAFF, check_upload("Merkblatt.pdf", PDF, TeamFiles(), "de"))
    await lotse.drain()
    [template] = anna.sent()[before:]
    assert template.type == "template" and not standin.media
    document, text = await anna.taps_template()
    assert document.type == "document" and "Merkblatt.pdf" in text.text

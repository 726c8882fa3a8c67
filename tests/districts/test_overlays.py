"""Districts' FAQ overlays: a local topic is answered only in its district, a local wording of a
shared topic only there; `faq check` names file and line of an overlay's error and refuses new
legal facts without their own legal_basis and reviewed; a running bot keeps its last good FAQ."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from bot.app import build_core
from bot.config import load_config
from bot.dialogue import Dialogue
from bot.knowledge import FaqError, KnowledgeBase
from bot.knowledge.library import load_network_faq
from bot.messages import IncomingMessage, Kind
from bot.store import MemoryChatStore
from tests.conftest import ROOT
from tests.districts.conftest import network_raw, write_config

OVERLAY = ROOT / "faq/districts/nordheide/nordheide.yml"
LOCAL_QUESTION = "Welche Schritte muss ich in Nordheide gehen, um einen Flüchtling einzustellen?"


@pytest.fixture(scope="module")
def network_core(tmp_path_factory):
    """The example network with its overlays, the classifier trained on shared and local topics."""
    config = load_config(write_config(tmp_path_factory.mktemp("network"), network_raw()), environ={})
    return build_core(config)


@pytest.fixture
def dialogue(network_core) -> Dialogue:
    store = MemoryChatStore()
    return Dialogue(network_core.config, network_core.knowledge, store)


async def ask(dialogue: Dialogue, chat: str, district: str, text: str):
    await dialogue.store.set_district("terminal", chat, district)
    return await dialogue.handle(IncomingMessage("terminal", chat, Kind.TEXT, text=text))


async def test_a_local_topic_is_answered_only_in_its_district(dialogue):
    [nord] = await ask(dialogue, "1", "nordheide", LOCAL_QUESTION)
    assert nord.meta.get("faq_id") == "nordheide.hiring_chain"
    assert "abh@nordheide.example" in " ".join(nord.steps)  # the local actors, in order
    for other in ("hafenberg", "talwald"):
        replies = await ask(dialogue, f"2{other}", other, LOCAL_QUESTION)
        assert all(r.meta.get("faq_id") != "nordheide.hiring_chain" for r in replies)
        assert all("faq:nordheide.hiring_chain" not in r.button_payloads() for r in replies)
        [forged] = await dialogue.handle(
            IncomingMessage("terminal", f"2{other}", Kind.BUTTON, payload="faq:nordheide.hiring_chain")
        )
        assert "Prozesskette" not in forged.title + forged.text  # a forged button shows nothing of it
    [areas] = await dialogue.handle(IncomingMessage("terminal", "2hafenberg", Kind.COMMAND, text="/topics"))
    assert "area:nordheide" not in areas.button_payloads()


async def test_a_local_wording_of_a_shared_topic_is_used_only_there(dialogue):
    nord = dialogue.render_topic(dialogue.knowledge.current.faq.topics["network.contacts"], "de", district="nordheide")
    hafen = dialogue.render_topic(dialogue.knowledge.current.faq.topics["network.contacts"], "de", district="hafenberg")
    assert "Kreishaus Nordheide" in nord.text and "abh@nordheide.example" in nord.text
    assert "Kreishaus" not in hafen.text and "abh@hafenberg.example" in hafen.text


def network_with_overlay(tmp_path, text: str):
    """The example network whose Nordheide overlay folder holds one file with `text`."""
    folder = tmp_path / "overlay"
    folder.mkdir(exist_ok=True)
    (folder / "nordheide.yml").write_text(text, encoding="utf-8")
    raw = network_raw()
    raw["districts"]["nordheide"]["faq"] = str(folder)
    return load_config(write_config(tmp_path, raw), environ={}), folder / "nordheide.yml"


NEW_LAW = OVERLAY.read_text(encoding="utf-8").replace(
    "Bewerbersuche und Förderungen: {employer_service}.",
    "Bewerbersuche und Förderungen: {employer_service}. Die Förderung dauert 12 Monate.",
)


def test_an_override_with_new_legal_facts_needs_its_own_legal_basis_and_review(tmp_path):
    config, path = network_with_overlay(tmp_path, NEW_LAW)
    with pytest.raises(FaqError) as caught:
        load_network_faq(config)
    [error] = [i for i in caught.value.issues if i.severity == "error"]
    assert error.file == path and error.line == 10  # the override's id
    assert "'12 monate'" in error.message and "legal_basis" in error.message

    reviewed = NEW_LAW.replace(
        "  - id: network.contacts\n",
        "  - id: network.contacts\n    legal_basis: [SGB III § 88]\n    reviewed: 2026-12-01\n",
    )
    config, _ = network_with_overlay(tmp_path, reviewed)
    faq, _ = load_network_faq(config)
    assert faq.topic_in("network.contacts", "nordheide").legal_basis == ("SGB III § 88",)
    assert faq.topic_in("network.contacts", "hafenberg").legal_basis == ()


@pytest.mark.parametrize(
    ("change", "line", "says"),
    [
        (lambda t: t.replace("  - id: network.contacts", "  - id: network.kontakte"), 10, "no shared topic"),
        (lambda t: t.replace("  id: nordheide\n", "  id: nordheide\n  id: twice\n"), 35, "appears twice"),
        (lambda t: t.replace("unterwegs: {coordinator}", "unterwegs: {coordinatr}"), 45, "unknown placeholder"),
        (lambda t: t.replace("  - id: nordheide.hiring_chain", "  - id: network.about"), 40, "in the shared FAQ"),
        (lambda t: t.replace('    title:\n      de: "Prozess', '    titel:\n      de: "Prozess'), 41, "titel"),
        (lambda t: t.replace("topics:\n", "topics:\n  - [\n"), 41, "not valid YAML"),
    ],
)
def test_an_overlay_error_names_file_and_line(tmp_path, change, line, says):
    config, path = network_with_overlay(tmp_path, change(OVERLAY.read_text(encoding="utf-8")))
    with pytest.raises(FaqError) as caught:
        load_network_faq(config)
    errors = [i for i in caught.value.issues if i.severity == "error"]
    assert any(i.file == path and i.line == line and says in i.message for i in errors), errors


def test_faq_check_reports_the_overlay_and_exits_1(tmp_path):
    config, path = network_with_overlay(tmp_path, NEW_LAW)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(tmp_path / "config.yml"), "faq", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and f"{path}:10: error: nordheide: the override of network.contacts" in result.stdout


class NoClassifier:
    name = "none"

    async def close(self) -> None:
        pass


async def test_a_broken_overlay_leaves_the_last_good_faq_serving(tmp_path):
    config, path = network_with_overlay(tmp_path, OVERLAY.read_text(encoding="utf-8"))
    knowledge = KnowledgeBase(config, lambda faq: NoClassifier())
    assert "nordheide.hiring_chain" in knowledge.current.faq.topics
    path.write_text(NEW_LAW, encoding="utf-8")
    assert await knowledge.reload_if_changed() is False
    assert knowledge.last_error is not None and knowledge.last_error.issues[0].file == path
    served = knowledge.current.faq.topic_in("network.contacts", "nordheide")
    assert "Kreishaus Nordheide" in served.answer.de and "12 Monate" not in served.answer.de
    shutil.copy(OVERLAY, path)
    path.write_text(OVERLAY.read_text(encoding="utf-8").replace("Musterstraße 1", "Musterstraße 2"), encoding="utf-8")
    assert await knowledge.reload_if_changed() is True
    assert "Musterstraße 2" in knowledge.current.faq.topic_in("network.contacts", "nordheide").answer.de


def test_faq_show_previews_a_districts_wording():
    def show(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "bot", "--config", str(ROOT / "config.network.example.yml"), "faq", "show"]
        return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True)

    nord = show("network.contacts", "--district", "nordheide")
    hafen = show("network.contacts", "--district", "hafenberg")
    assert "Kreishaus Nordheide" in nord.stdout and "Kreishaus" not in hafen.stdout and "Hafenberg" in hafen.stdout
    refused = show("nordheide.hiring_chain", "--district", "talwald")
    assert refused.returncode == 2 and "local topic of nordheide" in refused.stdout

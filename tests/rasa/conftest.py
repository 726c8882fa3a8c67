"""Rasa tests: a small stand-in server for the error cases, and a real Rasa server for `rasa` tests.

The real server is trained from the project's own FAQ export. Its set-up (.venv-rasa, the model
in var/rasa/models/<hash>.tar.gz) is cached, so only the first run on a machine pays for it.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import load_config
from nlu.embedded import EmbeddedClassifier
from nlu.types import TrainingExample

ROOT = Path(__file__).resolve().parents[2]

# A toy label space for the client tests; the texts are made up here, not taken from any
# evaluation set.
TOY_EXAMPLES = [
    TrainingExample(text, label, lang)
    for label, lang, texts in [
        ("status.tolerated", "de", ["darf jemand mit duldung arbeiten", "duldung beschäftigung erlaubt",
                                    "arbeiten mit duldung"]),
        ("status.tolerated", "en", ["can a tolerated person work", "work with a duldung"]),
        ("funding.grant", "de", ["gibt es einen zuschuss zum lohn", "lohnkostenzuschuss beantragen",
                                 "förderung für die einstellung"]),
        ("funding.grant", "en", ["is there a wage subsidy", "funding for hiring a refugee"]),
        ("smalltalk", "de", ["hallo", "danke schön", "guten morgen"]),
        ("smalltalk", "en", ["hello", "thanks a lot", "good morning"]),
        ("out_of_scope", "de", ["wie wird das wetter morgen", "pizza bestellen"]),
        ("out_of_scope", "en", ["what is the weather tomorrow", "order a pizza"]),
    ]
    for text in texts
]


@pytest.fixture(scope="session")
def toy_embedded() -> EmbeddedClassifier:
    return EmbeddedClassifier(TOY_EXAMPLES)


@dataclass
class StandIn:
    """A stand-in for Rasa's /model/parse: answers as told by `mode`, records what it was sent."""

    mode: str = "ok"           # ok | error | slow | malformed | unknown_labels
    ranking: list[dict] = field(default_factory=lambda: [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "funding.grant", "confidence": 0.6},
        {"name": "status.tolerated", "confidence": 0.2},
        {"name": "no.such_topic", "confidence": 0.1},
    ])
    received: list[dict] = field(default_factory=list)
    tokens: list[str | None] = field(default_factory=list)
    model_file: str = "standin.tar.gz"
    loads: list[str] = field(default_factory=list)  # model files PUT /model was asked to load
    load_seconds: float = 0.0  # how long loading a model takes (Rasa answers PUT /model once it is loaded)
    url: str = ""

    async def parse(self, request: web.Request) -> web.StreamResponse:
        self.received.append(await request.json())
        self.tokens.append(request.query.get("token"))
        if self.mode == "error":
            return web.json_response({"status": "failure", "code": 500}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(1)
        if self.mode == "malformed":
            return web.Response(text='{"intent": {"name": "smalltalk", "confid', content_type="application/json")
        if self.mode == "no_ranking":
            return web.json_response({"intent": {"name": "smalltalk", "confidence": 1.0}})
        return web.json_response({"text": self.received[-1]["text"], "intent": self.ranking[0],
                                  "entities": [], "intent_ranking": self.ranking})

    async def status(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"model_file": self.model_file, "model_id": "x", "num_active_training_jobs": 0})

    async def load(self, request: web.Request) -> web.StreamResponse:
        """PUT /model: Rasa answers 204 once it serves the file; /status then names it (without its folder)."""
        if self.mode == "error":
            return web.json_response({"status": "failure", "code": 500}, status=500)
        self.loads.append((await request.json())["model_file"])
        await asyncio.sleep(self.load_seconds)
        self.model_file = Path(self.loads[-1]).name
        return web.Response(status=204)


@pytest.fixture
async def standin():
    """A stand-in Rasa on 127.0.0.1 on a free port."""
    server = StandIn()
    app = web.Application()
    app.router.add_post("/model/parse", server.parse)
    app.router.add_get("/status", server.status)
    app.router.add_put("/model", server.load)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the real Rasa server ---------------------------------------------------------------


def _progress(pytestconfig):
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        # The first run sets up .venv-rasa and trains for minutes: show it is working.
        with capture.global_and_fixture_disabled():
            print(f"[rasa] {line}", file=sys.stderr, flush=True)

    return say


@pytest.fixture(scope="session")
def rasa_prepared(pytestconfig):
    """.venv-rasa and a model trained from the project's FAQ (both cached between runs)."""
    from bot.rasa_tools import prepare

    return prepare(load_config(ROOT / "config.yml", environ={}), _progress(pytestconfig))


@pytest.fixture(scope="session")
def rasa_server(rasa_prepared, pytestconfig):
    """A real Rasa server with the FAQ's model on a free port with a random token; stopped afterwards."""
    from bot.rasa_tools import RasaServer, free_port

    say = _progress(pytestconfig)
    # A token that begins with "-", as token_urlsafe's do one time in 64: Rasa must take it as the token.
    server = RasaServer(rasa_prepared.rasa, rasa_prepared.model.path, free_port(), "-" + secrets.token_urlsafe(16))
    server.start()
    try:
        seconds = server.wait_ready(say)
        say(f"server ready on {server.url} after {seconds:.0f} s")
        yield server
    finally:
        server.stop()


def rasa_config(config, url: str, token: str = "s3cret", timeout_seconds: float = 5.0, retry_seconds: float = 0.0):
    """The project's configuration with the rasa backend at `url`."""
    from bot.config import Nlu, RasaNlu

    rasa = RasaNlu(url=url, token=token, timeout_seconds=timeout_seconds, retry_seconds=retry_seconds)
    return config.model_copy(
        update={"nlu": Nlu(backend="rasa", embedded=config.nlu.embedded, rasa=rasa, model_cache=config.nlu.model_cache)}
    )


def core_with_rasa(shared_core, url: str, token: str = "s3cret", **settings):
    """A core whose classifier is built as bot/app.py builds it for `nlu.backend: rasa`, around
    the session's embedded model (training that one again would only cost time)."""
    from bot.app import Core, rasa_with_fallback
    from bot.dialogue import Dialogue
    from bot.knowledge import KnowledgeBase
    from bot.store import MemoryChatStore

    config = rasa_config(shared_core.config, url, token, **settings)
    embedded = shared_core.knowledge.current.classifier
    knowledge = KnowledgeBase(config, lambda faq: rasa_with_fallback(config, faq, embedded))
    store = MemoryChatStore()
    return Core(config, knowledge, store, Dialogue(config, knowledge, store))

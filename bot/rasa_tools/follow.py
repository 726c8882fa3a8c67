"""Rasa follows FAQ edits: train the edited FAQ's model in the background, then switch the server to it.

A FAQ reload gives the bot a new embedded model at once; Rasa needs minutes to train. Meanwhile
the Rasa classifier leaves the topics the served model lacks to the embedded model (nlu/rasa.py,
ServedModel). Once trained, the model is loaded with Rasa's HTTP API (`PUT /model`), and once
`/status` names it, the switch is logged and counted (`lotse_rasa_model_switches`).

One training at a time: an edit during a training queues one more run, for the newest FAQ only.
Several bot processes behind one Rasa server each follow; the model cache's lock lets one of them
train while the others wait and find the model trained, and a lock per server lets one of them load
it while the others wait and find it served.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp

from bot.knowledge import Faq
from bot.metrics import RASA_MODEL_SWITCHES
from bot.rasa_tools.export import Export, build_export
from bot.rasa_tools.model import MODELS, ensure_model
from bot.rasa_tools.process import VAR, RasaToolError
from bot.rasa_tools.venv import VENV, is_installed, rasa_executable
from nlu.rasa import ServedModel

log = logging.getLogger(__name__)

# Trains (or finds cached) the model for an export and returns its file; runs in a worker thread.
Trainer = Callable[[Export, threading.Event], Path]

# Loading a model takes 15-30 s on 2 cores (docs/rasa.md); PUT /model answers when it is loaded.
LOAD_TIMEOUT_SECONDS = 300.0


def train_in_cache(models: Path = MODELS) -> Trainer:
    """The trainer of `python -m bot rasa train`: .venv-rasa's rasa, the model cache under var/rasa."""

    def train(export: Export, stop: threading.Event) -> Path:
        if not is_installed():
            raise RasaToolError(f"{VENV.name} is not set up, so nothing can be trained: run `python -m bot rasa setup`")
        return ensure_model(export, rasa_executable(), log.info, models, stop).path

    return train


class RasaFollower:
    """Keeps the Rasa server on the model of the FAQ the bot serves.

    Attributes:
        switches: how many times this follower switched the server to a new model.
    """

    def __init__(self, url: str, token: str | None, served: ServedModel, train: Trainer | None = None):
        self.url = url.rstrip("/")
        self._params = {"token": token} if token else {}
        self.served = served
        self._train = train or train_in_cache()
        self._stop = threading.Event()
        self._wanted: Export | None = None
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None
        self.switches = 0
        self.training = False

    def faq_changed(self, faq: Faq) -> None:
        """Bring Rasa to this FAQ's model in the background (call it in the event loop)."""
        self.follow(build_export(faq))

    def follow(self, export: Export) -> None:
        """Bring Rasa to the model of this export in the background (call it in the event loop)."""
        self._wanted = export  # a newer edit replaces a waiting one: at most one run queued
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._follow(), name="rasa-follow")

    async def idle(self) -> None:
        """Wait until no training or switch is running or queued (tests)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _follow(self) -> None:
        while self._wanted is not None:
            export, self._wanted = self._wanted, None
            try:
                await self._switch_to(export)
            except (RasaToolError, aiohttp.ClientError, TimeoutError) as exc:
                if self._stop.is_set():
                    return
                RASA_MODEL_SWITCHES.labels("failed").inc()
                log.error(
                    "Rasa keeps serving %s; bringing it to %s failed: %s",
                    self.served.model_file,
                    export.model_file,
                    exc,
                )

    async def _switch_to(self, export: Export) -> None:
        if await self._serving() == export.model_file:
            self.served.update(export.model_file, export.labels)
            return
        started = time.monotonic()
        log.info(
            "training Rasa model %s for the edited FAQ (%d intents) in the background",
            export.model_file,
            export.intents,
        )
        self.training = True
        try:
            model = await asyncio.to_thread(self._train, export, self._stop)
        finally:
            self.training = False
        async with self._one_switch_at_a_time():
            if await self._serving() == export.model_file:  # another process switched while this one trained
                self.served.update(export.model_file, export.labels)
                return
            await self._load(model)  # even when the FAQ changed again meanwhile: it knows more than the served one
            serving = await self._serving()
        if serving != export.model_file:
            raise RasaToolError(f"Rasa was told to load {model.name} but serves {serving}")
        self.served.update(serving, export.labels)
        self.switches += 1
        RASA_MODEL_SWITCHES.labels("ok").inc()
        log.info(
            "Rasa switched to model %s (%d intents), %.0f s after the FAQ edit",
            serving,
            export.intents,
            time.monotonic() - started,
        )

    @contextlib.asynccontextmanager
    async def _one_switch_at_a_time(self) -> AsyncIterator[None]:
        """Hold a lock per Rasa server across processes while switching: Rasa answers nothing while it loads
        a model (15-30 s), so two processes that trained the same model must not load it one after the other."""
        path = VAR / "locks" / f"switch-{hashlib.sha256(self.url.encode()).hexdigest()[:12]}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as lock:
            while True:  # polled, not blocking: a bot shutting down must not wait for another process's load
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.5)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _serving(self) -> str | None:
        """The model file the server serves (GET /status)."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with self._open().get(f"{self.url}/status", params=self._params, timeout=timeout) as response:
            if response.status != 200:
                raise RasaToolError(f"HTTP {response.status} from {self.url}/status")
            return (await response.json(content_type=None)).get("model_file")

    async def _load(self, model: Path) -> None:
        """PUT /model: Rasa loads the file (it runs on this machine) and answers once it serves it."""
        timeout = aiohttp.ClientTimeout(total=LOAD_TIMEOUT_SECONDS)
        body = {"model_file": str(model.resolve())}
        async with self._open().put(f"{self.url}/model", params=self._params, json=body, timeout=timeout) as response:
            if response.status not in (200, 204):
                raise RasaToolError(
                    f"HTTP {response.status} from PUT {self.url}/model: {(await response.text())[:300]}"
                )

    async def close(self) -> None:
        """Stop a running training (its process is killed) and close the HTTP session."""
        self._stop.set()
        self._wanted = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

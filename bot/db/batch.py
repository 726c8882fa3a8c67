"""Group commit (and group read): the same small statement for many concurrent callers, run once.

Every update reads its chat's context and writes a row or two (its de-duplication record, the
decision). One at a time, each is a transaction of its own, and on SQLite most of its cost is the
hand-offs to the driver's thread, not the row. `Batched` lets the first caller go at once and the
callers that arrive while that batch is running wait for the next one, which takes all of them:
no timer, no delay when the bot is idle, fewer transactions the busier it is. A batch starts only
after each of its calls was made, so a read sees everything its caller wrote before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batched(Generic[Item, Result]):
    """Collects items from concurrent callers and runs `run_many` on them, a batch at a time.

    Args:
        run_many: writes or reads a batch in one transaction; returns one result per item, in
            order. If it raises, each item of the batch is run again on its own, so that only the
            caller whose item fails gets the error.
        max_batch: at most this many items per transaction.
    """

    def __init__(self, run_many: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], max_batch: int = 200):
        self._run_many = run_many
        self.max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task | None = None

    async def __call__(self, item: Item) -> Result:
        """Run `item` (with whatever else is waiting) and return its result."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._runner is None:
            self._runner = asyncio.create_task(
                self._run_all(), name=f"batched {getattr(self._run_many, '__name__', 'call')}"
            )
        return await future

    async def _run_all(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                await self._run(batch)
        finally:
            self._runner = None
            # Only if this task was cancelled (shutdown): nobody will run these any more.
            for _, future in batch + self._pending:
                _settle(future, exception=RuntimeError("the batch was stopped"))
            self._pending = []

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run_many([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exception=exc)
                return
            log.debug("a batch of %d failed (%s); running its items one by one", len(batch), exc)
            for entry in batch:
                await self._run([entry])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(future: asyncio.Future, *, result: object = None, exception: BaseException | None = None) -> None:
    if future.done():  # the caller was cancelled meanwhile; its item may still have been written
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)

"""Group commit: the same small write for many concurrent callers in one transaction.

Every update writes a row or two (its de-duplication record, the decision). One at a time, each
is a transaction of its own, and on SQLite most of its cost is the hand-offs to the driver's
thread, not the row. `GroupCommit` lets the first caller write at once and the callers that arrive
while that write is running wait for the next one, which takes all of them: no timer, no delay
when the bot is idle, fewer transactions the busier it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Collects items from concurrent callers and writes them with `write_many`, a batch at a time.

    Args:
        write_many: writes a batch in one transaction; returns one result per item, in order.
            If it raises, each item of the batch is written again on its own, so that only the
            caller whose item fails gets the error.
        max_batch: at most this many items per transaction.
    """

    def __init__(self, write_many: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], max_batch: int = 200):
        self._write_many = write_many
        self.max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task | None = None

    async def __call__(self, item: Item) -> Result:
        """Write `item` (with whatever else is waiting) and return its result."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="group-commit")
        return await future

    async def _write_all(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                await self._write(batch)
        finally:
            self._writer = None
            # Only if this task was cancelled (shutdown): nobody will write these any more.
            for _, future in batch + self._pending:
                _settle(future, exception=RuntimeError("the database writer stopped"))
            self._pending = []

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write_many([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exception=exc)
                return
            log.debug("a batch of %d failed (%s); writing its items one by one", len(batch), exc)
            for entry in batch:
                await self._write([entry])
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

"""One periodic task for the ticket queue's reminders: re-announce, reassure, close."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import OfficeHours
from bot.config import Reminders as ReminderSettings
from bot.tickets.service import TicketService

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def in_office_hours(moment: datetime, hours: OfficeHours) -> bool:
    """Whether `moment` (aware) falls on an office day between start and end, in the office's time zone."""
    local = moment.astimezone(ZoneInfo(hours.timezone))
    start, end = (time.fromisoformat(hours.start), time.fromisoformat(hours.end))
    return DAYS[local.weekday()] in hours.days and start <= local.time() < end


class TicketReminders:
    """Unclaimed tickets re-announced (office hours only), waiting employers told, quiet answers closed."""

    def __init__(self, service: TicketService, settings: ReminderSettings, clock: Callable[[], datetime]):
        self.service = service
        self.settings = settings
        self.clock = clock

    def teams_in_office(self, moment: datetime) -> tuple[str, ...]:
        """The teams whose office is open at `moment`: a district's own office hours, else the common ones."""
        config = self.service.config
        return tuple(
            team
            for team in config.tickets.teams
            if in_office_hours(
                moment, config.district(config.district_of_team(team)).office_hours or self.settings.office_hours
            )
        )

    async def run_once(self) -> dict[str, list[int]]:
        """One round; returns the ticket ids each reminder touched."""
        done: dict[str, list[int]] = {"reannounced": [], "employer_told": [], "closed": []}
        teams = self.teams_in_office(self.clock())
        if teams:
            done["reannounced"] = await self.service.remind_unclaimed(
                timedelta(minutes=self.settings.unclaimed_after_minutes), teams=teams
            )
        done["employer_told"] = await self.service.tell_waiting_employers(
            timedelta(hours=self.settings.employer_no_answer_after_hours)
        )
        done["closed"] = await self.service.close_quiet(timedelta(days=self.settings.autoclose_answered_after_days))
        if any(done.values()):
            log.info("ticket reminders: %s", done)
        return done

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # housekeeping must never end the bot
                log.exception("ticket reminders failed")
            await asyncio.sleep(self.settings.check_every_seconds)

"""`python -m bot run` and `python -m bot chat`: which channels a process plugs into its runtime.

The channels, in the order they attach and start:
1. web: the employers' web chat and the coordinators' console (web.enabled, on by default);
2. Telegram: when TELEGRAM_BOT_TOKEN is set (webhook with TELEGRAM_WEBHOOK_URL, else polling);
3. WhatsApp: when WHATSAPP_ACCESS_TOKEN is set (webhook /whatsapp/webhook, docs/whatsapp.md);
4. terminal: when standard input is a terminal (`run`), or alone (`chat`).
Everything else a process has (database, FAQ, classifier, tickets, metrics) is the runtime's.
"""

from __future__ import annotations

import asyncio
import sys

from bot.app import stop_on_signals, tune_runtime_for_serving
from bot.config import Config
from bot.db import DatabaseError, redacted
from bot.runtime import Channel, ChannelError, ListenError, running


def configured_channels(config: Config, terminal: bool) -> list[Channel]:
    """The channels config.yml and the environment switch on (imports each platform only when used)."""
    channels: list[Channel] = []
    if config.web.enabled:
        from handlers.web.channel import WebChannel

        channels.append(WebChannel())
    if config.telegram.token is not None:
        from handlers.telegram_app import TelegramBot

        channels.append(TelegramBot(config))
    if config.whatsapp.enabled:
        from handlers.whatsapp.channel import WhatsAppChannel

        channels.append(WhatsAppChannel(config))
    if terminal:
        from handlers.terminal import TerminalChannel

        channels.append(TerminalChannel())
    return channels


async def serve(config: Config, *, terminal: bool, serve_http: bool = True, stop: asyncio.Event | None = None) -> int:
    """Run the runtime with the configured channels until SIGINT/SIGTERM, `stop`, or /quit in the terminal.

    Returns the process's exit code. FaqError propagates: the caller prints the editors' report.
    """
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    channels = configured_channels(config, terminal) if serve_http else configured_channels_terminal_only()
    try:
        async with running(config, channels, serve_http=serve_http) as runtime:
            tune_runtime_for_serving()
            lines = [
                f"Lotse is running on {redacted(runtime.database.url)}"
                + (f", listening on {runtime.url} (/healthz, /metrics)" if runtime.url else "")
                + ":"
            ]
            lines += [f"  {channel.describe()}" for channel in channels]
            if config.telegram.token is None and serve_http:
                lines.append("  (no TELEGRAM_BOT_TOKEN: Telegram is off)")
            print("\n".join(lines) + "\nStop with Ctrl+C.", file=sys.stderr, flush=True)
            waits = [asyncio.ensure_future(stop.wait())]
            waits += [asyncio.ensure_future(c.finished.wait()) for c in channels if hasattr(c, "finished")]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
    except ChannelError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except DatabaseError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1
    except ListenError as exc:
        print(
            f"cannot listen on {config.telegram.listen} (LOTSE_LISTEN) for the web pages, webhooks and health: {exc}",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:  # a file or folder the process needs (the model cache, a key): name it, no traceback
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    print("Lotse stopped.", file=sys.stderr)
    return 0


def configured_channels_terminal_only() -> list[Channel]:
    from handlers.terminal import TerminalChannel

    return [TerminalChannel()]

"""Each district's entry links (Telegram, WhatsApp, web chat) and their QR codes for flyers.

Built from config.yml `links:` (the bot's public username, the WhatsApp number, the public web
address): no token is needed to print them. A channel without its `links:` entry gets no link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import segno

from bot.config import IMPLICIT_DISTRICT, Config

CHANNELS = ("telegram", "whatsapp", "web")
MISSING = {"telegram": "links.telegram_bot", "whatsapp": "links.whatsapp_number", "web": "links.web_url"}


@dataclass(frozen=True)
class EntryLink:
    district: str
    channel: str
    url: str

    @property
    def stem(self) -> str:
        """The QR code's file name without suffix: <district>-<channel>."""
        return f"{self.district}-{self.channel}"


def entry_links(config: Config) -> list[EntryLink]:
    """Every district's link on every channel that has its public address in `links:`.

    Without `districts:` the links name no district (the bot then has only one).
    """
    links = config.links
    found = []
    for district in config.district_ids:
        network = district != IMPLICIT_DISTRICT or bool(config.districts)
        code = config.districts[district].code or district if network else ""
        urls = {
            "telegram": links.telegram_bot
            and f"https://t.me/{links.telegram_bot}" + (f"?start={district}" if network else ""),
            "whatsapp": links.whatsapp_number
            and f"https://wa.me/{links.whatsapp_number}" + (f"?text={quote(code)}" if network else ""),
            "web": links.web_url and f"{links.web_url.rstrip('/')}/chat/" + (f"?d={district}" if network else ""),
        }
        found += [EntryLink(district, channel, url) for channel, url in urls.items() if url]
    return found


def missing_channels(config: Config) -> list[str]:
    """The `links:` keys not set, so their channel has no links."""
    set_ = {
        "telegram": config.links.telegram_bot,
        "whatsapp": config.links.whatsapp_number,
        "web": config.links.web_url,
    }
    return [MISSING[channel] for channel in CHANNELS if not set_[channel]]


def write_qr_codes(links: list[EntryLink], folder: Path) -> list[Path]:
    """An SVG (for print) and a PNG (for documents) per link in `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for link in links:
        code = segno.make(link.url, error="m", micro=False)
        for suffix, scale in ((".svg", 4), (".png", 8)):
            path = folder / f"{link.stem}{suffix}"
            code.save(str(path), scale=scale, border=4)
            written.append(path)
    return written

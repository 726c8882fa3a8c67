"""`python -m bot districts links`: every district's entry links, and their QR codes for flyers."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Config


def add_parser(commands) -> None:
    """Add the `districts` command to the command line's sub-commands."""
    districts = commands.add_parser(
        "districts",
        help="a network's districts: entry links and QR codes",
        description="The districts of config.yml (docs/districts.md).",
    )
    verbs = districts.add_subparsers(dest="districts_command", required=True, metavar="DISTRICTS_COMMAND")
    links = verbs.add_parser(
        "links",
        help="print every entry link and write a QR code (SVG and PNG) per district and channel",
        description="Print each district's Telegram, WhatsApp and web chat link (from config.yml links:) and "
        "write their QR codes as <district>-<channel>.svg and .png.",
    )
    links.add_argument("--out", type=Path, default=None, help="folder for the QR codes (default: var/qr beside config)")


def run(config: Config, args: argparse.Namespace) -> int:
    from bot.districts.links import entry_links, missing_channels, write_qr_codes

    links = entry_links(config)
    for key in missing_channels(config):
        print(f"no links for {key.split('_')[0].removeprefix('links.')}: {key} is not set in config.yml")
    if not links:
        return 1
    width = max(len(link.district) for link in links)
    for link in links:
        print(f"{link.district:<{width}}  {link.channel:<8}  {link.url}")
    folder = args.out or config.base_dir / "var" / "qr"
    try:
        written = write_qr_codes(links, folder)
    except OSError as exc:  # no such parent, no permission, a file in the way
        print(f"cannot write the QR codes to {folder}: {exc.strerror or exc}; choose another folder with --out")
        return 1
    print(f"{len(written)} QR code files in {folder}")
    return 0

"""`python -m bot districts links`: every district's entry link, and QR codes that decode back to them."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import zxingcpp

from bot.config import load_config
from bot.districts.links import entry_links, write_qr_codes
from tests.conftest import ROOT
from tests.districts.conftest import EXAMPLE


def read_png(path: Path) -> np.ndarray:
    """A greyscale or palette PNG as 0 (dark) / 255 (light) pixels: enough for segno's output, no Pillow needed."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks[kind] = chunks.get(kind, b"") + data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert color in (0, 3) and depth in (1, 2, 4, 8), "segno writes greyscale or palette images"
    raw, stride = zlib.decompress(chunks[b"IDAT"]), (width * depth + 7) // 8
    rows, previous = [], np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        assert line[0] in (0, 2), "segno filters rows with None or Up"
        current = np.frombuffer(line[1:], dtype=np.uint8)
        current = (current + previous).astype(np.uint8) if line[0] == 2 else current
        previous = current
        bits = np.unpackbits(current).reshape(-1, depth)[:width] if depth < 8 else current[:, None]
        rows.append(bits @ (1 << np.arange(bits.shape[1])[::-1]))
    pixels = np.array(rows)
    if color == 3:  # palette: an index into PLTE's RGB triples
        palette = np.frombuffer(chunks[b"PLTE"], dtype=np.uint8).reshape(-1, 3).mean(axis=1)
        pixels = palette[pixels]
    else:
        pixels = pixels * (255 // ((1 << depth) - 1))
    return np.where(pixels > 127, 255, 0).astype(np.uint8)


def test_every_district_has_a_link_per_channel():
    config = load_config(EXAMPLE, environ={})
    urls = {(link.district, link.channel): link.url for link in entry_links(config)}
    assert len(urls) == 9
    assert urls["nordheide", "telegram"] == "https://t.me/LotseNetzwerkBot?start=nordheide"
    assert urls["nordheide", "whatsapp"] == "https://wa.me/4912345678900?text=NORDHEIDE"  # its code
    assert urls["talwald", "whatsapp"] == "https://wa.me/4912345678900?text=talwald"  # no code: the id
    assert urls["hafenberg", "web"] == "https://lotse.example/chat/?d=hafenberg"


def test_the_qr_codes_decode_back_to_their_links(tmp_path):
    config = load_config(EXAMPLE, environ={})
    links = entry_links(config)
    written = write_qr_codes(links, tmp_path)
    assert len(written) == 2 * len(links)
    for link in links:
        [decoded] = zxingcpp.read_barcodes(read_png(tmp_path / f"{link.stem}.png"))
        assert decoded.format == zxingcpp.BarcodeFormat.QRCode and decoded.text == link.url
        svg = (tmp_path / f"{link.stem}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and "<svg" in svg and "<path" in svg


def test_the_command_prints_the_links_and_says_what_is_missing(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(EXAMPLE), "districts", "links", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "hafenberg  whatsapp  https://wa.me/4912345678900?text=hafenberg" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir())[:2] == ["hafenberg-telegram.png", "hafenberg-telegram.svg"]
    single = subprocess.run(
        [sys.executable, "-m", "bot", "districts", "links", "--out", str(tmp_path / "single")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LOTSE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"},
    )
    assert single.returncode == 1 and "links.telegram_bot is not set" in single.stdout

"""Debian's Chromium, as the web app's browser tests and `bench.board` launch it (Playwright
cannot download a browser here)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless, no sandbox (a container's root), and nothing that reaches the network on its own."""

"""What the docs tests share: the paths of the README and the docs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

README = ROOT / "README.md"

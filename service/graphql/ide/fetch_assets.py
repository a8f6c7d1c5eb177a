"""Fetch GraphiQL's vendored files from the npm registry at the versions pinned in `vendor.json`.

    python -m service.graphql.ide.fetch_assets            # fetch, verify, write vendor/
    python -m service.graphql.ide.fetch_assets --check    # verify vendor/ against the pins, offline
    python -m service.graphql.ide.fetch_assets --repin    # after editing a version: record new hashes

Each tarball must match the `dist.integrity` (sha512) pinned for its version, both as the
registry states it and as computed over the bytes downloaded; each file taken from it must
match its pinned sha256. Nothing is written unless every check passes. `NPM_CONFIG_REGISTRY`
points at another registry (a mirror); the integrity pins do not change with it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "vendor.json"
VENDOR = HERE / "vendor"
DEFAULT_REGISTRY = "https://registry.npmjs.org"


class IntegrityError(Exception):
    """A download or a vendored file does not match its pin."""


@dataclass(frozen=True)
class Pin:
    """One npm package at one version, and the files taken from its tarball."""

    name: str
    version: str
    integrity: str
    files: dict[str, dict[str, str]]
    """vendored name -> {"from": path inside the tarball, "sha256": hex digest}."""


def load_manifest(path: Path = MANIFEST) -> list[Pin]:
    raw = json.loads(path.read_text())
    return [Pin(p["name"], p["version"], p.get("integrity", ""), p["files"]) for p in raw["packages"]]


def save_manifest(pins: list[Pin], path: Path = MANIFEST) -> None:
    packages = [{"name": p.name, "version": p.version, "integrity": p.integrity, "files": p.files} for p in pins]
    path.write_text(json.dumps({"packages": packages}, indent=2) + "\n")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def download(client: httpx.Client, registry: str, pin: Pin, *, repin: bool) -> tuple[str, dict[str, bytes]]:
    """The package's integrity and its pinned files, read from a verified tarball."""
    meta: dict[str, Any] = client.get(f"{registry}/{pin.name}/{pin.version}").raise_for_status().json()
    stated = meta["dist"]["integrity"]
    if not repin and stated != pin.integrity:
        raise IntegrityError(f"{pin.name}@{pin.version}: the registry states {stated}, pinned {pin.integrity}")
    tarball = client.get(meta["dist"]["tarball"]).raise_for_status().content
    if sri_sha512(tarball) != stated:
        raise IntegrityError(f"{pin.name}@{pin.version}: the tarball does not match {stated}")
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name, spec in pin.files.items():
            member = archive.extractfile(spec["from"])
            if member is None:
                raise IntegrityError(f"{pin.name}@{pin.version}: {spec['from']} is not a file")
            data = member.read()
            if not repin and sha256(data) != spec["sha256"]:
                raise IntegrityError(f"{pin.name}@{pin.version}: {spec['from']} does not match its sha256")
            files[name] = data
    return stated, files


def fetch(registry: str, *, repin: bool = False) -> list[str]:
    """Download every pinned file, verify it, then write them all; return the names written."""
    pins = load_manifest()
    fetched: dict[str, bytes] = {}
    repinned: list[Pin] = []
    with httpx.Client(timeout=60.0, follow_redirects=True) as client:
        for pin in pins:
            integrity, files = download(client, registry.rstrip("/"), pin, repin=repin)
            fetched.update(files)
            specs = {name: {**spec, "sha256": sha256(files[name])} for name, spec in pin.files.items()}
            repinned.append(Pin(pin.name, pin.version, integrity, specs))
    VENDOR.mkdir(exist_ok=True)
    for name, data in fetched.items():
        (VENDOR / name).write_bytes(data)
    if repin:
        save_manifest(repinned)
    return sorted(fetched)


def check() -> list[str]:
    """Problems with the vendored files (missing, altered, or not pinned); empty when all is well."""
    problems: list[str] = []
    pinned: set[str] = set()
    for pin in load_manifest():
        for name, spec in pin.files.items():
            pinned.add(name)
            path = VENDOR / name
            if not path.is_file():
                problems.append(f"{name} ({pin.name}@{pin.version}) is missing")
            elif sha256(path.read_bytes()) != spec["sha256"]:
                problems.append(f"{name} ({pin.name}@{pin.version}) does not match its sha256")
    problems += [f"{p.name} is not pinned" for p in sorted(VENDOR.iterdir()) if p.name not in pinned]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify the vendored files, without the network")
    mode.add_argument("--repin", action="store_true", help="record the integrity and sha256 of the versions pinned")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    registry = os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
    try:
        written = fetch(registry, repin=args.repin)
    except IntegrityError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    for name in written:
        print(f"{name}  {sha256((VENDOR / name).read_bytes())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

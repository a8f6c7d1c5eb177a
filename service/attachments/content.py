"""What a file is, judged from its first bytes, never from its name or the uploader's claim.

`puremagic` reads the signatures; what it cannot tell apart (a Word document from a spreadsheet,
both zip files) or cannot name (plain text, which has no signature) is decided here. Only the
types below are accepted: documents a résumé or letter comes as, and pictures of one.
"""

from __future__ import annotations

import puremagic

HEAD = 64 * 1024
"""Bytes read before deciding: enough for a zip's first entries and for text to show itself."""

PDF = "application/pdf"
DOC = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
RTF = "application/rtf"
TEXT = "text/plain"
PNG = "image/png"
JPEG = "image/jpeg"

ACCEPTED = (PDF, DOC, DOCX, ODT, RTF, TEXT, PNG, JPEG)
"""What may be uploaded (`UNSUPPORTED_TYPE` otherwise)."""

_SIGNED = {PDF, DOC, RTF, PNG, JPEG}
"""Types puremagic's signatures identify on their own."""


def sniff(head: bytes) -> str | None:
    """The accepted media type of content starting with `head` (up to `HEAD` bytes, all of it
    when shorter), or None when it is none of them (or empty)."""
    if not head:
        return None
    if head.startswith(b"PK\x03\x04"):
        return _zipped(head)
    try:
        found = puremagic.magic_string(head)
    except puremagic.PureError:
        found = []
    for match in found:
        if match.mime_type == DOC:
            # Any OLE2 compound file (an installer, a spreadsheet with macros) starts like a .doc:
            # a Word document names its `WordDocument` stream in its directory.
            return DOC if "WordDocument".encode("utf-16-le") in head else None
        if match.mime_type in _SIGNED:
            return str(match.mime_type)
    if found and max(m.confidence for m in found) >= 0.5:
        return None  # something else with a strong signature: HTML, an executable, an archive
    return TEXT if _text(head) else None


def _zipped(head: bytes) -> str | None:
    # An Office Open XML document names its parts in the zip's local headers; a Word file's
    # main part is under `word/`. OpenDocument stores its type first, uncompressed.
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head[:200]:
        return ODT
    # A .docm (macros) or another package carrying a Word part is not taken for a document.
    if b"[Content_Types].xml" in head and b"word/document.xml" in head and b"vbaProject" not in head:
        return DOCX
    return None


def _text(head: bytes) -> bool:
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the head is still text.
        if exc.start < len(head) - 3 or exc.reason != "unexpected end of data":
            return False
    # Markup a browser would run, anywhere near the start (after a byte-order mark, a comment…).
    lowered = head[:4096].lower()
    return not any(tag in lowered for tag in _MARKUP)


_MARKUP = (b"<html", b"<script", b"<svg", b"<!doctype", b"<?xml", b"<body", b"<iframe", b"<object", b"<embed", b"<meta")
EXTENSIONS = {
    PDF: (".pdf",),
    DOC: (".doc",),
    DOCX: (".docx",),
    ODT: (".odt",),
    RTF: (".rtf",),
    TEXT: (".txt", ".text", ".md"),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
}


def download_name(filename: str, content_type: str) -> str:
    """The name a file is downloaded under: its own, with the extension of the type found in
    it added when the name claims another (`cv.exe` that is text downloads as `cv.exe.txt`)."""
    allowed = EXTENSIONS.get(content_type, ())
    return filename if not allowed or filename.lower().endswith(allowed) else filename + allowed[0]

"""What an uploaded file really is, decided from its first bytes and never from its name.

Only the types an MP's office receives as casework evidence are allowed; anything else
(HTML, scripts, executables, archives that are not office documents) is refused.
"""

from __future__ import annotations

import re
import zipfile

from django.core.files.uploadedfile import UploadedFile

ALLOWED_DESCRIPTION = (
    "PDF, PNG, JPEG, GIF, plain text, e-mail (.eml), Word (.docx), Excel (.xlsx) or OpenDocument text (.odt)"
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
_EMAIL_HEADER = re.compile(
    rb"^(from|to|subject|date|received|message-id|mime-version|return-path|delivered-to):", re.IGNORECASE | re.MULTILINE
)
_MARKUP = re.compile(rb"<\s*(!doctype|html|script|svg|iframe|body|head|meta|object|embed)\b", re.IGNORECASE)


def sniff_content_type(upload: UploadedFile) -> str | None:
    """The MIME type of an allowed file, or None when its content is not on the allow-list."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(upload)
    return _sniff_text(head)


def _sniff_zip(upload: UploadedFile) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                return ODT
            if "[Content_Types].xml" in names:
                if any(name.startswith("word/") for name in names):
                    return DOCX
                if any(name.startswith("xl/") for name in names):
                    return XLSX
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    finally:
        upload.seek(0)
    return None


def _sniff_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The 8 KiB cut may split a multi-byte character: only the end may be incomplete.
        if error.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return None
    header_block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if len(_EMAIL_HEADER.findall(header_block)) >= 2 and not _MARKUP.search(header_block):
        # An e-mail (served only as message/rfc822, as a download): an HTML body is its own business.
        return "message/rfc822"
    if _MARKUP.search(head[:1024]):
        return None  # HTML or SVG dressed as text: never stored, so never served
    return "text/plain"

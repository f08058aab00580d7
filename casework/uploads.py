"""What an uploaded file really is, decided from its content and never from its name.

Only the types an MP's office receives as casework evidence are allowed; anything else
(HTML, scripts, executables, archives that are not office documents) is refused. A file that
starts like an allowed type must also be one as far as can be told without opening it in a
viewer: an image must parse as that image, a PDF must have no web markup where a browser
would look for it and must end like a PDF, and an office document must be a zip archive that
unpacks to a sane size. What is inside a real PDF or office document is not inspected (those
formats can carry anything), which is why uploads are only ever sent back as downloads.
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

# An office document is a zip archive: these bound what its directory may claim before any of
# it is read. Real documents (text compresses 5-20 times, images not at all) are far inside;
# a "zip bomb" (a small upload that unpacks to gigabytes) is not.
ZIP_MAX_MEMBERS = 5_000
ZIP_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100  # for any member that unpacks to more than ZIP_RATIO_FROM_BYTES
ZIP_RATIO_FROM_BYTES = 1024 * 1024
# PDF readers look for the end-of-file marker in the last kilobyte or so; allow some slack.
PDF_TAIL_BYTES = 4096

_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
_IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF"}
_EMAIL_HEADER = re.compile(
    rb"^(from|to|subject|date|received|message-id|mime-version|return-path|delivered-to):", re.IGNORECASE | re.MULTILINE
)
_MARKUP = re.compile(rb"<\s*(!doctype|html|script|svg|iframe|body|head|meta|object|embed)\b", re.IGNORECASE)


class UploadRefused(ValueError):
    """Why an upload is refused, worded to follow the file's name ("report.docx is ...")."""


class TypeNotAllowed(UploadRefused):
    def __init__(self):
        super().__init__(f"is not a file type Postbag accepts. Attach a {ALLOWED_DESCRIPTION} file.")


def content_type_check(upload: UploadedFile) -> str:
    """The MIME type of an allowed file; raises UploadRefused (TypeNotAllowed when the content is
    not on the allow-list at all) saying why and what to do."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            if content_type == "application/pdf":
                _check_pdf(upload, head)
            else:
                _check_image(upload, content_type)
            return content_type
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(upload)
    sniffed = _sniff_text(head)
    if sniffed is None:
        raise TypeNotAllowed()
    return sniffed


def sniff_content_type(upload: UploadedFile) -> str | None:
    """The MIME type of an allowed file, or None when its content is refused for any reason."""
    try:
        return content_type_check(upload)
    except UploadRefused:
        return None


def _check_image(upload: UploadedFile, content_type: str) -> None:
    # Pillow comes with WeasyPrint. verify() reads the image's structure (PNG checks every
    # chunk's checksum) without decoding pixels, and open() refuses absurd pixel counts.
    from PIL import Image

    label = _IMAGE_FORMATS[content_type]
    try:
        with Image.open(upload, formats=[label]) as image:
            image.verify()
    except Exception as error:  # Pillow raises many kinds for a file that is not an image
        raise UploadRefused(
            f"starts like a {label} image but cannot be read as one (it may be damaged, or another kind of "
            "file in disguise). Save it again as an image, or send it as a PDF."
        ) from error
    finally:
        upload.seek(0)


def _check_pdf(upload: UploadedFile, head: bytes) -> None:
    refused = UploadRefused(
        "starts like a PDF but is not a complete PDF document (it may be damaged, or a web page in disguise). "
        "Save or scan it again as a PDF."
    )
    if _MARKUP.search(head):
        raise refused
    size = upload.size if upload.size is not None else len(head)
    upload.seek(max(0, size - PDF_TAIL_BYTES))
    tail = upload.read(PDF_TAIL_BYTES)
    upload.seek(0)
    if b"%%EOF" not in tail:
        raise refused


def _zip_type(upload: UploadedFile) -> str:
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            _check_expansion(members)
            names = {member.filename for member in members}
            if "mimetype" in names:
                # Read only as much as the expected value: the member's declared size may lie.
                with archive.open("mimetype") as marker:
                    if marker.read(len(ODT) + 2).strip() == ODT.encode():
                        return ODT
            if "[Content_Types].xml" in names:
                if any(name.startswith("word/") for name in names):
                    return DOCX
                if any(name.startswith("xl/") for name in names):
                    return XLSX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, NotImplementedError) as error:
        raise TypeNotAllowed() from error
    finally:
        upload.seek(0)
    raise TypeNotAllowed()


def _check_expansion(members: list[zipfile.ZipInfo]) -> None:
    refused = UploadRefused(
        "is an archive that would unpack to far more than any real document does (a “zip bomb”), so it was "
        "not stored. Save the document again from the program that made it, or send it as a PDF."
    )
    if len(members) > ZIP_MAX_MEMBERS:
        raise refused
    unpacked = 0
    for member in members:
        unpacked += member.file_size
        if unpacked > ZIP_MAX_UNPACKED_BYTES:
            raise refused
        if member.file_size > ZIP_RATIO_FROM_BYTES and member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1):
            raise refused


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

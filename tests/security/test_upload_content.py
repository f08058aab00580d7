"""Uploads are judged by what they are, not by how they start: zip bombs dressed as office
documents, and polyglots (a PNG or PDF signature in front of SVG or HTML), are refused with a
message saying what to do, and nothing is stored."""

import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from casework.models import Attachment, Contact
from casework.uploads import ODT
from letters.services import reply_document_check
from tests.casework.factories import PDF_BYTES, ConstituentFactory

MEGABYTE = 1024 * 1024


def _bomb(member: str, megabytes: int, *, before: dict[str, bytes] | None = None) -> bytes:
    """A real zip whose ``member`` unpacks to ``megabytes`` MB of zeros (written in chunks, so
    building it never holds the whole in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in (before or {}).items():
            archive.writestr(name, content)
        with archive.open(member, "w") as handle:
            chunk = bytes(MEGABYTE)
            for _ in range(megabytes):
                handle.write(chunk)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def odt_bomb() -> bytes:
    # The OpenDocument marker member itself inflates: the check used to read it whole.
    return _bomb("mimetype", 300)


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    return _bomb("word/document.xml", 300, before={"[Content_Types].xml": b"<Types/>"})


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(buffer, kind)
    return buffer.getvalue()


def _attach(client, constituent, name: str, content: bytes):
    return client.post(
        reverse("casework:constituent-contact-create", args=[constituent.pk]),
        {
            "channel": "email",
            "direction": "in",
            "occurred_at": "2026-03-02T10:30",
            "summary": "Evidence",
            "attachments": SimpleUploadedFile(name, content, content_type="application/octet-stream"),
        },
    )


def _refusal(response) -> str:
    assert response.status_code == 200, "the form is shown again with the reason"
    assert not Contact.objects.exists() and not Attachment.objects.exists(), "nothing half-saved"
    return response.context["form"].errors["attachments"][0]


def test_an_opendocument_whose_marker_inflates_to_300_mb_is_refused_quickly_and_in_little_memory(
    odt_bomb, office, caseworker, client_for
):
    assert len(odt_bomb) < 400 * 1024  # a 300 KB upload...
    client, constituent = client_for(caseworker), ConstituentFactory(office=office)
    _attach(client, constituent, "minutes.odt", _bomb("mimetype", 1))  # warm up: imports, templates

    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = _attach(client, constituent, "minutes.odt", odt_bomb)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "zip bomb" in _refusal(response) and "minutes.odt" in _refusal(response)
    assert peak < 20 * MEGABYTE, f"the check held {peak / MEGABYTE:.0f} MB"  # ...no longer read as 300 MB
    assert seconds < 5, f"the check took {seconds:.1f} s"


def test_a_word_document_that_would_unpack_to_300_mb_is_refused(docx_bomb, office, caseworker, client_for):
    response = _attach(client_for(caseworker), ConstituentFactory(office=office), "report.docx", docx_bomb)
    assert "zip bomb" in _refusal(response)


def test_a_reply_document_that_is_a_zip_bomb_is_refused_with_the_reason(docx_bomb):
    with pytest.raises(ValidationError, match="zip bomb"):
        reply_document_check(SimpleUploadedFile("reply.docx", docx_bomb))


def test_real_office_documents_are_still_accepted(office, caseworker, client_for):
    # A long document: varied text compresses well (about 4 times here), but nothing like a bomb.
    paragraphs = "".join(
        f"<w:p><w:r><w:t>Paragraph {n}: the case of resident {n * 7919 % 10007}</w:t></w:r></w:p>"
        for n in range(60_000)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document><w:body>{paragraphs}</w:body></w:document>")
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", ODT)  # stored first and uncompressed, as the format asks
        archive.writestr("content.xml", "<office:document-content/>")
    client, constituent = client_for(caseworker), ConstituentFactory(office=office)

    assert _attach(client, constituent, "long.docx", buffer.getvalue()).status_code == 302
    assert _attach(client, constituent, "minutes.odt", odt.getvalue()).status_code == 302
    assert sorted(Attachment.objects.values_list("content_type", flat=True)) == sorted(
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", ODT]
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + SVG, "starts like a PNG image but cannot be read"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + SVG, "starts like a JPEG image but cannot be read"),
        ("photo.gif", b"GIF89a" + SVG, "starts like a GIF image but cannot be read"),
        ("letter.pdf", b"%PDF-1.4\n" + HTML + b"\n%%EOF\n", "starts like a PDF but is not a complete PDF"),
        ("letter.pdf", b"%PDF-1.4\n" + b"%" * 9000 + b"\n" + HTML, "starts like a PDF but is not a complete PDF"),
    ],
)
def test_a_polyglot_with_an_allowed_signature_in_front_of_svg_or_html_is_refused(
    name, content, says, office, caseworker, client_for
):
    response = _attach(client_for(caseworker), ConstituentFactory(office=office), name, content)
    message = _refusal(response)
    assert message.startswith(f"{name} {says}"), message


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.jpg", _image("JPEG"), "image/jpeg"),
        ("chart.gif", _image("GIF"), "image/gif"),
        ("photo.png", _image("PNG"), "image/png"),
        ("letter.pdf", PDF_BYTES, "application/pdf"),
    ],
)
def test_real_images_and_pdfs_are_accepted(name, content, content_type, office, caseworker, client_for):
    response = _attach(client_for(caseworker), ConstituentFactory(office=office), name, content)
    assert response.status_code == 302
    assert Attachment.objects.get().content_type == content_type


def test_a_pdf_made_by_postbag_itself_is_accepted(office, mp, staff, client_for):
    from letters.pdf import letter_pdf
    from tests.letters.factories import make_letter

    pdf = letter_pdf(make_letter(office))
    response = _attach(client_for(staff), ConstituentFactory(office=office), "letter.pdf", pdf)
    assert response.status_code == 302 and Attachment.objects.get().content_type == "application/pdf"

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from letters.pdf import letter_pdf
from mpoffice.models import Office
from tests.letters.factories import make_letter


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (31, 92, 58)).save(out, format=fmt)
    return out.getvalue()


def _post(client, **files):
    data = {"letterhead_address": "House of Commons\nLondon SW1A 0AA", "email": "office@example.org", "phone": ""}
    return client.post(reverse("letterhead"), {**data, **files})


def test_staff_upload_a_logo_that_letters_print(office, staff, client_for):
    response = _post(client_for(staff), logo=SimpleUploadedFile("crest.png", _image("PNG"), "image/png"))
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.logo and office.logo.name.startswith("logos/") and "crest" not in office.logo.name

    pdf = PdfReader(io.BytesIO(letter_pdf(make_letter(office))))
    assert any("/XObject" in page["/Resources"] for page in pdf.pages)  # the logo is an image on the page


def test_a_logo_that_is_not_png_or_jpeg_is_refused_and_nothing_changes(office, staff, client_for):
    gif = SimpleUploadedFile("crest.png", _image("GIF"), "image/png")
    response = _post(client_for(staff), logo=gif)
    assert response.status_code == 200 and "Upload the logo as a PNG or JPEG image" in response.content.decode()
    html = SimpleUploadedFile("crest.png", b"<html><script>alert(1)</script></html>", "image/png")
    response = _post(client_for(staff), logo=html)
    assert response.status_code == 200
    assert not Office.objects.get(pk=office.pk).logo


def test_only_staff_edit_the_letterhead(caseworker, mp, client_for):
    assert client_for(caseworker).get(reverse("letterhead")).status_code == 403
    assert client_for(mp).get(reverse("letterhead")).status_code == 403


def test_a_letter_without_a_logo_prints_the_office_name(office):
    text = PdfReader(io.BytesIO(letter_pdf(make_letter(office)))).pages[0].extract_text()
    assert f"{office.mp_name} MP" in text

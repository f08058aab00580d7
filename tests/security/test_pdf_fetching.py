"""No PDF reaches outside: letters, briefings and bulk batches load only data: URLs and Postbag's
own static files (mpoffice.pdf). A document that names a web address or a file:// path still
renders, without that resource, and nothing is fetched: a real HTTP server on this machine
counts the requests it gets."""

import base64
import copy
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.templatetags.static import static
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from letters.pdf import letter_pdf
from mpoffice.pdf import StaticFileMissing, pdf_render
from tests.campaigns.factories import CampaignFactory
from tests.letters.factories import make_letter


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self):  # noqa: N802 - http.server's name
        self.requests.append(self.path)
        body = PNG if self.path.endswith(".png") else b"body { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    """A real HTTP server on 127.0.0.1 that records every request it is sent."""
    handler = type("Handler", (_Recorder,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(PNG)
    return path


def _outside_references(base: str, secret_file) -> str:
    return (
        f'<link rel="stylesheet" href="{base}/style.css">'
        f'<style>@import url("{base}/imported.css"); p {{ background: url("{base}/background.png") }}</style>'
        f'<img src="{base}/tracker.png" alt="">'
        f'<img src="{secret_file.as_uri()}" alt="">'
        '<img src="/static/../../mpoffice/settings.py" alt="">'
    )


def _images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_document_naming_web_addresses_and_server_files_fetches_nothing(web_server, secret_file):
    base, requests = web_server
    html = f"<html><head></head><body><p>Dear Sir</p>{_outside_references(base, secret_file)}</body></html>"

    pdf = pdf_render(html)

    assert requests == []
    assert _images(pdf.content) == 0
    assert "Dear Sir" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_data_urls_and_postbags_own_static_files_are_loaded(settings, tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "crest.png").write_bytes(PNG)
    settings.STATICFILES_DIRS = [folder]
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()

    pdf = pdf_render(f'<img src="{data_url}" alt=""><img src="{static("crest.png")}" alt="">')

    assert _images(pdf.content) == 2


def test_several_documents_make_one_pdf_each_from_a_new_page():
    pdf = pdf_render("<p>First letter</p>", "<p>Second letter</p>")
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    assert pdf.pages == len(pages) == 2
    assert "Second letter" in pages[1].extract_text()


@pytest.fixture
def overriding_templates(settings, tmp_path):
    """Put our own version of a document template in front of the project's."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates

    def override(name: str, source: str) -> None:
        path = tmp_path / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)

    return override


def test_the_briefing_pdf_fetches_nothing_a_document_names(
    web_server, secret_file, overriding_templates, office, mp, client_for
):
    base, requests = web_server
    overriding_templates(
        "briefings/briefing_pdf.html",
        f"<html><body><h1>Briefing: {{{{ campaign.name }}}}</h1>{_outside_references(base, secret_file)}"
        '{% include "briefings/briefing_body.html" %}</body></html>',
    )
    campaign = CampaignFactory(office=office, name="Knife crime")

    response = client_for(mp).get(reverse("campaign-briefing-pdf", args=[campaign.pk]))

    assert response.status_code == 200
    assert requests == [], "the briefing PDF fetched from the network"
    assert "Briefing: Knife crime" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_a_letter_pdf_fetches_nothing_a_document_names(web_server, secret_file, overriding_templates, office):
    base, requests = web_server
    overriding_templates(
        "letters/pdf/letter.html",
        f"<html><body><p>{{{{ doc.reference }}}}</p>{_outside_references(base, secret_file)}</body></html>",
    )
    letter = make_letter(office)

    pdf = letter_pdf(letter)

    assert requests == []
    assert _images(pdf) == 0 and letter.reference in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_letter_gets_its_stylesheet_from_postbags_static_files(office):
    letter = make_letter(office)
    text = " ".join(PdfReader(io.BytesIO(letter_pdf(letter))).pages[0].extract_text().split())
    assert f"{letter.reference} – page 1 of 1" in text  # the footer comes from letters/letter.css


def test_a_missing_static_file_stops_the_pdf_instead_of_making_it_without(settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path]
    with pytest.raises(StaticFileMissing, match="nowhere.css"):
        pdf_render('<link rel="stylesheet" href="/static/nowhere.css"><p>Dear Sir</p>')

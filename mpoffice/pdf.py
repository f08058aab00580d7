"""Every PDF Postbag makes (letters, briefings, bulk-letter batches) is rendered here.

WeasyPrint's own URL fetcher would load any URL a document names, from the network or from
``file://`` paths on the server. Ours loads only ``data:`` URLs and Postbag's own static files,
read from disk; anything else is refused (WeasyPrint logs a warning and leaves it out). So a
document can never make the server call out, call itself, or read a file that is not meant
to be public, whatever ends up in it.
"""

from __future__ import annotations

import functools
import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation

# Relative URLs in a document (``{% static %}`` gives "/static/...") resolve against this
# origin, which exists nowhere (.invalid is reserved): only the fetcher below understands it.
BASE_URL = "https://postbag.invalid/"


class StaticFileMissing(LookupError):
    """A document names one of Postbag's static files that is not installed."""


@dataclass(frozen=True)
class Pdf:
    content: bytes
    pages: int


def pdf_render(*documents: str) -> Pdf:
    """One PDF of the HTML ``documents``, each starting on a new page with its own page count."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    fetcher = local_only_fetcher()
    try:
        rendered = [HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render() for html in documents]
    except FatalURLFetchingError as error:  # a BaseException: make it an ordinary error again
        raise StaticFileMissing(str(error.__cause__ or error)) from error
    pages = [page for document in rendered for page in document.pages]
    return Pdf(content=rendered[0].copy(pages).write_pdf(), pages=len(pages))


def static_file_for(url: str) -> Path | None:
    """The file on disk behind a URL of Postbag's own static files; None for any other URL.

    Raises StaticFileMissing for a static URL whose file is not there: a letter must never be
    made without its stylesheet, so that is a deployment error, not a resource to skip.
    """
    prefix = BASE_URL.rstrip("/") + "/" + settings.STATIC_URL.lstrip("/")
    if not url.startswith(prefix):
        return None
    name = unquote(urlsplit(url[len(prefix) :]).path)
    if not name or name != posixpath.normpath(name) or name.startswith(("/", "..")):
        return None
    try:
        found = finders.find(name)
        if not found and staticfiles_storage.exists(name):
            found = staticfiles_storage.path(name)  # collected (and hashed) files in production
    except SuspiciousFileOperation:
        return None
    if not found or not Path(found).is_file():
        raise StaticFileMissing(f"Static file {name} is not installed (run collectstatic?)")
    return Path(found)


@functools.cache
def _fetcher_class():
    # WeasyPrint is imported only when a PDF is made: it loads native libraries, slowly.
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class _LocalOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            try:
                path = static_file_for(url)
            except StaticFileMissing as missing:
                raise FatalURLFetchingError(str(missing)) from missing
            if path is None:
                raise ValueError(f"PDFs load only data: URLs and Postbag's static files, not {url[:200]}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    return _LocalOnlyFetcher


def local_only_fetcher():
    """A WeasyPrint URL fetcher that loads data: URLs and Postbag's static files, nothing else."""
    return _fetcher_class()()

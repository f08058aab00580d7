from __future__ import annotations

import shutil

import pytest

from tests.conftest import need
from tests.inbound.dovecot import dovecot_available, start_dovecot


@pytest.fixture
def dovecot():
    """A real dovecot IMAP server of the test's own (skipped locally, a failure in CI, when
    dovecot-imapd is not installed)."""
    need(dovecot_available(), "needs Debian's dovecot-imapd (apt-get install dovecot-imapd)")
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def graph(tmp_path, settings):
    """A local HTTPS server playing Microsoft's sign-in and Graph (see graph_server.py), with
    Postbag pointed at it and trusting its self-signed certificate."""
    from tests.inbound.dovecot import self_signed
    from tests.inbound.graph_server import GraphServer

    cert, key = self_signed(tmp_path)
    server = GraphServer(cert, key)
    settings.MAILBOX_GRAPH_LOGIN_URL = server.base
    settings.MAILBOX_GRAPH_API_URL = f"{server.base}/v1.0"
    settings.MAILBOX_CA_FILE = str(cert)
    try:
        yield server
    finally:
        server.close()

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

"""Microsoft 365 mailboxes through Microsoft Graph (application permission ``Mail.Read``).

A token comes from ``msal`` (OAuth client credentials: the tenant, the app's client id and its
secret, stored encrypted). The inbox is read with Graph's delta query
(``/users/{mailbox}/mailFolders/inbox/messages/delta``): the first round pages through the
whole folder (``@odata.nextLink``) and ends with an ``@odata.deltaLink``, which is stored;
later rounds start from it and see only what changed. Each new message is fetched as MIME
(``/messages/{id}/$value``) and received like any other, so a message seen twice (a round
repeated after a crash) is kept once. Nothing is changed in the mailbox.

Throttling (429, 503) is waited out as Graph's ``Retry-After`` says, up to a bound; an expired
delta link (410 Gone) starts a full round again.
"""

from __future__ import annotations

import logging
import ssl
import time
from urllib.parse import quote

import msal
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from inbound.mailbox_secrets import SecretUnreadable, secret_open
from inbound.models import MailboxConnection

logger = logging.getLogger(__name__)

GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]
MAX_RETRIES = 5
MAX_RETRY_WAIT_SECONDS = 30


class GraphError(RuntimeError):
    """Graph or its sign-in refused or failed; the message says why, for staff."""


class _TrustingAdapter(HTTPAdapter):
    """Trusts MAILBOX_CA_FILE in addition to the usual certificates (a ``verify=`` path would
    replace them, and is itself overridden by REQUESTS_CA_BUNDLE in the environment)."""

    def init_poolmanager(self, *args, **kwargs):
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=settings.MAILBOX_CA_FILE)
        kwargs["ssl_context"] = context
        return super().init_poolmanager(*args, **kwargs)


def _session() -> requests.Session:
    session = requests.Session()
    if settings.MAILBOX_CA_FILE:
        session.mount("https://", _TrustingAdapter())
    return session


def graph_token(connection: MailboxConnection, session: requests.Session) -> str:
    try:
        secret = secret_open(connection.secret_encrypted)
    except SecretUnreadable as error:
        raise GraphError(str(error)) from error
    try:
        app = msal.ConfidentialClientApplication(
            connection.client_id,
            authority=f"{settings.MAILBOX_GRAPH_LOGIN_URL.rstrip('/')}/{connection.tenant_id}",
            client_credential=secret,
            http_client=session,
            # The sign-in host is configured (a national cloud, or a test server): not looked up.
            validate_authority=settings.MAILBOX_GRAPH_LOGIN_URL == "https://login.microsoftonline.com",
            instance_discovery=settings.MAILBOX_GRAPH_LOGIN_URL == "https://login.microsoftonline.com",
            token_cache=msal.TokenCache(),
        )
        result = app.acquire_token_for_client(scopes=GRAPH_SCOPE)
    except (ValueError, requests.RequestException) as error:
        raise GraphError(f"Microsoft sign-in could not be reached or refused the tenant: {error}") from error
    if "access_token" not in result:
        description = str(result.get("error_description") or result.get("error") or "no reason given")
        raise GraphError(f"Microsoft sign-in refused the application: {description.splitlines()[0][:300]}")
    return result["access_token"]


def _get(session: requests.Session, url: str, token: str, **kwargs) -> requests.Response:
    """GET with the token, waiting out throttling as Graph asks (Retry-After)."""
    for _attempt in range(MAX_RETRIES):
        try:
            response = session.get(
                url, headers={"Authorization": f"Bearer {token}"}, timeout=settings.MAILBOX_TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as error:
            raise GraphError(f"Microsoft Graph could not be reached ({error.__class__.__name__}).") from error
        if response.status_code in (429, 503, 504):
            wait = _retry_after(response)
            if wait > MAX_RETRY_WAIT_SECONDS:
                raise GraphError(f"Microsoft Graph asks to wait {wait} s (throttled); the next poll tries again.")
            logger.info("Graph throttled (%s); waiting %s s", response.status_code, wait)
            time.sleep(wait)
            continue
        return response
    raise GraphError("Microsoft Graph kept refusing (throttled); the next poll tries again.")


def _retry_after(response: requests.Response) -> int:
    try:
        return max(0, int(response.headers.get("Retry-After", "5")))
    except ValueError:
        return 5


def _error(response: requests.Response) -> GraphError:
    try:
        detail = response.json().get("error", {})
        message = f"{detail.get('code', '')}: {detail.get('message', '')}".strip(": ")
    except ValueError:
        message = response.text[:200]
    return GraphError(f"Microsoft Graph answered {response.status_code} ({message or 'no detail'}).")


def _delta_start(connection: MailboxConnection) -> str:
    mailbox = quote(connection.mailbox_address, safe="@")
    return f"{settings.MAILBOX_GRAPH_API_URL.rstrip('/')}/users/{mailbox}/mailFolders/inbox/messages/delta?$select=id"


def _mime_url(connection: MailboxConnection, message_id: str) -> str:
    mailbox = quote(connection.mailbox_address, safe="@")
    return f"{settings.MAILBOX_GRAPH_API_URL.rstrip('/')}/users/{mailbox}/messages/{quote(message_id, safe='')}/$value"


def graph_poll(connection: MailboxConnection):
    """One delta round: every message added since the stored delta link, received once."""
    from inbound.mailbox_sync import PollResult, take_message

    result = PollResult()
    session = _session()
    token = graph_token(connection, session)
    url = connection.delta_link or _delta_start(connection)
    restarted = False
    while url:
        response = _get(session, url, token)
        if response.status_code == 410 and not restarted:
            # The delta link expired (Graph keeps them for a limited time): a full round again.
            logger.warning("Mailbox %s: Graph delta link expired; reading the inbox again", connection.pk)
            url, restarted = _delta_start(connection), True
            continue
        if response.status_code != 200:
            raise _error(response)
        page = response.json()
        for item in page.get("value", []):
            if "@removed" in item or not item.get("id"):
                continue  # deleted or moved out of the inbox: nothing to take
            mime = _get(session, _mime_url(connection, item["id"]), token)
            if mime.status_code == 404:
                continue  # deleted between the delta page and now
            if mime.status_code != 200:
                raise _error(mime)
            take_message(connection, mime.content, result)
        if "@odata.deltaLink" in page:
            # Stored only at the end of a round: a round cut short is repeated, and
            # inbound_receive keeps each message once.
            connection.delta_link = page["@odata.deltaLink"]
            MailboxConnection.objects.filter(pk=connection.pk).update(delta_link=connection.delta_link)
            url = ""
        else:
            url = page.get("@odata.nextLink", "")
            if not url:
                raise GraphError("Microsoft Graph's delta page had neither a next link nor a delta link.")
    return result


def graph_test(connection: MailboxConnection) -> str:
    """Sign in and open the inbox folder, reading no message."""
    session = _session()
    token = graph_token(connection, session)
    mailbox = quote(connection.mailbox_address, safe="@")
    response = _get(session, f"{settings.MAILBOX_GRAPH_API_URL.rstrip('/')}/users/{mailbox}/mailFolders/inbox", token)
    if response.status_code != 200:
        raise _error(response)
    count = response.json().get("totalItemCount", 0)
    return f"Signed in to Microsoft 365 and opened the inbox of {connection.mailbox_address}: {count} messages."

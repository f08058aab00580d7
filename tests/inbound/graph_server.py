"""A local HTTPS server answering the Microsoft endpoints Postbag uses, with the response shapes
Microsoft documents: the v2.0 OpenID configuration and client-credentials token endpoint, and
Graph's ``mailFolders/inbox``, ``messages/delta`` (pages with ``@odata.nextLink``, a last page
with ``@odata.deltaLink``, ``@removed`` items, 429 with ``Retry-After``, 410 for an expired
delta token) and ``messages/{id}/$value`` (the MIME content).

This is a contract test of our client against documented shapes, not a live tenant.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
CLIENT_SECRET = "Xy~8Q~fictional-client-secret-value"
MAILBOX = "office@mks.example.org"
ACCESS_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fictional.token"
PAGE_SIZE = 2


@dataclass
class GraphState:
    base: str = ""
    messages: list[tuple[str, bytes]] = field(default_factory=list)  # the inbox, oldest first
    removed: list[str] = field(default_factory=list)  # ids reported as @removed in the next round
    throttle: int = 0  # answer this many delta requests with 429 first
    expire_delta: bool = False  # answer the next request with a delta token 410 Gone
    requests: list[str] = field(default_factory=list)

    def add(self, raw: bytes) -> str:
        message_id = f"AAMkAGI2TG93AAA{len(self.messages):04d}="
        self.messages.append((message_id, raw))
        return message_id


def _handler(state: GraphState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; odata.metadata=minimal")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            state.requests.append(f"POST {path}")
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if path != f"/{TENANT}/oauth2/v2.0/token":
                return self._json(404, {"error": "not_found"})
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("scope") != "https://graph.microsoft.com/.default"
            ):
                return self._json(400, {"error": "invalid_request", "error_description": "AADSTS900144: bad request"})
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return self._json(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                        "sent in the request is the client secret value, not the client secret ID.",
                        "error_codes": [7000215],
                    },
                )
            return self._json(
                200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": ACCESS_TOKEN}
            )

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path, query = unquote(parts.path), parse_qs(parts.query)
            state.requests.append(f"GET {path}?{parts.query}")
            if path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
                login = f"{state.base}/{TENANT}"
                return self._json(
                    200,
                    {
                        "token_endpoint": f"{login}/oauth2/v2.0/token",
                        "authorization_endpoint": f"{login}/oauth2/v2.0/authorize",
                        "issuer": f"{login}/v2.0",
                        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                    },
                )
            if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                return self._json(
                    401,
                    {"error": {"code": "InvalidAuthenticationToken", "message": "Access token validation failure."}},
                )
            users = f"/v1.0/users/{MAILBOX}"
            if path == f"{users}/mailFolders/inbox":
                return self._json(
                    200,
                    {
                        "id": "AAMkAGI2TG93AAA=",
                        "displayName": "Inbox",
                        "parentFolderId": "AAMkAGI2AAEKAAA=",
                        "childFolderCount": 0,
                        "unreadItemCount": len(state.messages),
                        "totalItemCount": len(state.messages),
                    },
                )
            if path == f"{users}/mailFolders/inbox/messages/delta":
                return self._delta(query)
            if path.startswith(f"{users}/messages/") and path.endswith("/$value"):
                wanted = path[len(f"{users}/messages/") : -len("/$value")]
                for message_id, raw in state.messages:
                    if message_id == wanted:
                        self.send_response(200)
                        self.send_header("Content-Type", "text/plain")
                        self.send_header("Content-Length", str(len(raw)))
                        self.end_headers()
                        self.wfile.write(raw)
                        return None
                return self._json(404, {"error": {"code": "ErrorItemNotFound", "message": "Not found."}})
            return self._json(404, {"error": {"code": "ResourceNotFound", "message": path}})

        def _delta(self, query: dict) -> None:
            if state.throttle:
                state.throttle -= 1
                return self._json(
                    429,
                    {
                        "error": {
                            "code": "ApplicationThrottled",
                            "message": "Application is over its MailboxConcurrency limit.",
                        }
                    },
                    headers={"Retry-After": "1"},
                )
            if "$deltatoken" in query and state.expire_delta:
                state.expire_delta = False
                return self._json(
                    410, {"error": {"code": "SyncStateNotFound", "message": "The sync state is invalid."}}
                )
            # A token is the position in the inbox the client has seen up to; a skip token the page.
            seen = int(query.get("$deltatoken", ["0"])[0])
            position = int(query.get("$skiptoken", [str(seen)])[0])
            page = state.messages[position : position + PAGE_SIZE]
            value = [
                {
                    "@odata.type": "#microsoft.graph.message",
                    "@odata.etag": f'W/"CQAAABYAAAAiIsqMbYjsT5e{n}"',
                    "id": message_id,
                }
                for n, (message_id, _raw) in enumerate(page)
            ]
            delta = f"{state.base}/v1.0/users/{MAILBOX}/mailFolders/inbox/messages/delta"
            body: dict = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(message)"}
            if position + PAGE_SIZE < len(state.messages):
                body["@odata.nextLink"] = f"{delta}?$skiptoken={position + PAGE_SIZE}"
            else:
                value += [
                    {"@odata.type": "#microsoft.graph.message", "id": gone, "@removed": {"reason": "deleted"}}
                    for gone in state.removed
                ]
                state.removed = []
                body["@odata.deltaLink"] = f"{delta}?$deltatoken={len(state.messages)}"
            body["value"] = value
            return self._json(200, body)

    return Handler


class GraphServer:
    def __init__(self, cert: Path, key: Path) -> None:
        self.state = GraphState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.state.base = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return self.state.base

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

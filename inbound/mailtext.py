"""What a caseworker reads of a real e-mail: every text part, in any charset, HTML as text.

Mail clients send far messier messages than the RFCs describe: Outlook sends HTML only,
Apple Mail splits the text around an inline photo, a forward arrives as a ``message/rfc822``
part or as a block of quoted headers in the body, charsets are missing or wrong, headers carry
raw 8-bit bytes. This module turns such a message into plain text (HTML through ``inscriptis``,
never rendered as the sender's HTML), finds the original sender of a forward, and recognises
the mail robots send (out-of-office replies, bounces, other auto-generated mail) so that it is
kept out of casework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses

from inscriptis import get_text

# Single-byte charsets decode any bytes at all, so a wrongly labelled UTF-8 message would turn
# into mojibake: valid UTF-8 is tried before them (real Latin-1 text is almost never valid UTF-8).
_WIDE_CHARSETS = ("utf-16", "utf-32", "ucs-2", "ucs2")
# Browsers read Latin-1 labels as Windows-1252 (WHATWG encoding standard); mail clients do too.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "unknown": "",
    "x-user-defined": "",
}


def decode_bytes(payload: bytes, charset: str | None) -> str:
    """Text from ``payload`` in its declared charset, or the one it really is when the label is
    missing, unknown or wrong; never fails (undecodable bytes become U+FFFD)."""
    label = (charset or "").strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    candidates = [label] if label.startswith(_WIDE_CHARSETS) else ["utf-8", label]
    candidates += ["cp1252"]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def header_texts(message: Message, name: str) -> list[str]:
    """Every value of a header, as text, whatever the client did: RFC 2047 encoded words (in
    any charset, even split across folded lines) and raw 8-bit bytes in UTF-8 or Windows-1252."""
    texts = []
    for key, raw in message.raw_items():
        if key.lower() != name.lower():
            continue
        raw = str(raw)
        if any("\udc80" <= char <= "\udcff" for char in raw):
            raw = decode_bytes(raw.encode("ascii", "surrogateescape"), None)
        try:
            text = str(make_header(decode_header(raw)))
        except (LookupError, UnicodeError, ValueError, TypeError):
            text = raw
        texts.append(" ".join(text.split()))
    return texts


def header_text(message: Message, name: str) -> str:
    """The first value of a header as text (see ``header_texts``); empty when it is missing."""
    texts = header_texts(message, name)
    return texts[0] if texts else ""


def html_text(html: str) -> str:
    """Readable text of an HTML body: paragraphs, lists and tables kept as lines; scripts, style
    sheets and Outlook's conditional comments dropped. The result is plain text only."""
    if not html.strip():
        return ""
    try:
        text = get_text(html)
    except (ValueError, TypeError):  # lxml refuses some documents (e.g. only an XML declaration)
        text = re.sub(r"<[^>]*>", " ", html)
    # inscriptis indents block elements; in an e-mail that is noise (Outlook nests everything).
    return "\n".join(line.strip() for line in text.replace("\xa0", " ").split("\n"))


def normalised_text(text: str) -> str:
    """Line endings as LF, no trailing (or HTML-indent) spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class Leaf:
    """A part that is not text shown to the reader: kept as an attachment."""

    name: str
    content: bytes


@dataclass
class Forwarded:
    """The original sender of a forwarded message (the address may be unknown: Outlook often
    quotes only the name)."""

    name: str
    address: str


@dataclass
class Walked:
    texts: list[str] = field(default_factory=list)
    attachments: list[Leaf] = field(default_factory=list)
    forwarded: Forwarded | None = None


# Machine parts of a delivery report: the robot's explanation (first part) is text enough.
_REPORT_PARTS = {"message/delivery-status", "message/disposition-notification", "text/rfc822-headers"}


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = html_text(text)
    return normalised_text(text)


def _forward_heading(message: Message) -> str:
    lines = ["---------- Forwarded message ----------"]
    for name in ("From", "Date", "Subject", "To", "Cc"):
        value = header_text(message, name)
        if value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def walk(message: Message) -> Walked:
    """Every text part a reader would see, in order, and every other part as an attachment."""
    found = Walked()
    _walk(message, found, depth=0)
    return found


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or (
        part.get_content_disposition() == "inline" and bool(part.get_filename())
    )


def _walk(part: Message, found: Walked, depth: int) -> None:
    if depth > 20:  # a message nested absurdly deep: what is above is enough
        return
    content_type = part.get_content_type()
    if part.is_multipart() and content_type != "message/rfc822":
        subparts = [sub for sub in part.get_payload() if isinstance(sub, Message)]
        if content_type == "multipart/alternative":
            _walk_alternative(subparts, found, depth)
        else:
            for sub in subparts:
                _walk(sub, found, depth + 1)
        return
    if content_type == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, Message):
            if found.forwarded is None:
                senders = getaddresses([header_text(inner, "From")])
                if senders and (senders[0][0] or senders[0][1]):
                    found.forwarded = Forwarded(name=senders[0][0], address=senders[0][1].strip().lower())
            nested = Walked(forwarded=found.forwarded)
            _walk(inner, nested, depth + 1)
            found.texts.append("\n\n".join([_forward_heading(inner), *nested.texts]))
            found.attachments.extend(nested.attachments)
        return
    if content_type in _REPORT_PARTS:
        return
    if content_type in ("text/plain", "text/html") and not _is_attachment(part):
        text = _part_text(part)
        if text:
            found.texts.append(text)
        return
    content = part.get_payload(decode=True)
    if isinstance(content, bytes) and content:
        name = part.get_filename() or f"attachment-{len(found.attachments) + 1}"
        found.attachments.append(Leaf(name=_safe_filename(name), content=content))


def _walk_alternative(subparts: list[Message], found: Walked, depth: int) -> None:
    """One version of the same content: the plain text when it says anything, else the richest
    other (an HTML part, or a multipart/related holding one with its inline images)."""
    plain = [sub for sub in subparts if sub.get_content_type() == "text/plain"]
    if plain and _part_text(plain[0]):
        # Inline images of the HTML version are still the sender's attachments.
        for sub in subparts:
            if sub.is_multipart():
                images = Walked()
                _walk(sub, images, depth + 1)
                found.attachments.extend(images.attachments)
        _walk(plain[0], found, depth + 1)
        return
    richer = [sub for sub in subparts if sub.get_content_type() != "text/plain"]
    if richer:
        _walk(richer[-1], found, depth + 1)


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    return "".join(char for char in name if char.isprintable())[-255:]


# --- Forwards quoted in the body --------------------------------------------------------------

_FORWARD_MARKERS = re.compile(
    r"^\s*(?:-{5,}\s*Forwarded message\s*-{5,}|Begin forwarded message:|-{3,}\s*Original Message\s*-{3,}|_{20,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_FROM = re.compile(r"^\s*>?\s*\**From:\**\s*(?P<value>.+?)\s*$", re.IGNORECASE)
_OUTLOOK_BLOCK = re.compile(r"^\s*\**From:\**[^\n]+\n\s*\**Sent:\**\s", re.IGNORECASE | re.MULTILINE)
_QUOTED_HEADER = re.compile(r"^\s*>?\s*\**(Sent|Date|To|Cc|Subject):\**\s*", re.IGNORECASE)


def forwarded_in_text(text: str) -> Forwarded | None:
    """The original sender of a forward quoted in the body: Gmail's ``---------- Forwarded
    message ---------``, Apple Mail's and iPhone's ``Begin forwarded message:``, Outlook's rule
    or ``-----Original Message-----`` followed by ``From: … Sent: …``."""
    starts = [marker.end() for marker in _FORWARD_MARKERS.finditer(text)]
    # Outlook's HTML forwards draw the rule as a border: only "From: …" then "Sent: …" remain.
    starts += [found.start() for found in _OUTLOOK_BLOCK.finditer(text)]
    for start in sorted(starts):
        following = text[start:].lstrip("\n").split("\n")[:8]
        for index, line in enumerate(following):
            match = _QUOTED_FROM.match(line)
            if not match:
                continue
            # A rule line alone is not a forward: Outlook's header block has From then Sent/Date.
            rest = following[index + 1 : index + 4]
            if not any(_QUOTED_HEADER.match(other) for other in rest):
                break
            value = re.sub(r"\[mailto:([^\]]+)\]", r"<\1>", match.group("value"))
            senders = getaddresses([value])
            name, address = senders[0] if senders else ("", "")
            if "@" not in address:
                name, address = value.strip(' "'), ""
            return Forwarded(name=name.strip(' "'), address=address.strip().lower())
    return None


# --- Mail robots send -------------------------------------------------------------------------


@dataclass(frozen=True)
class Automated:
    kind: str  # "bounce", "auto-reply" or "automated"
    reason: str  # what showed it, for the person reading the inbox

    def describe(self) -> str:
        what = {
            "bounce": "a delivery failure report (bounce)",
            "auto-reply": "an automatic reply (out of office)",
            "automated": "sent by a program, not a person",
        }[self.kind]
        return f"Set aside on arrival: {what} ({self.reason}). Kept out of casework and never acknowledged."


_ROBOT_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)


def automated(message: Message) -> Automated | None:
    """Whether a robot sent the message: RFC 3834 ``Auto-Submitted``, the ``X-Autoreply`` family,
    ``Precedence: bulk/junk/auto_reply``, delivery status notifications (RFC 3464) and read
    receipts, the null return path, Exim's ``X-Failed-Recipients``."""
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "") or "").lower()
    if content_type == "multipart/report" and report_type == "delivery-status":
        return Automated("bounce", "a delivery status notification")
    if message.get("X-Failed-Recipients"):
        return Automated("bounce", "X-Failed-Recipients")
    sender = header_text(message, "From")
    addresses = getaddresses([sender])
    if addresses and _ROBOT_SENDERS.match(addresses[0][1] or ""):
        return Automated("bounce", f"sent by {addresses[0][1]}")
    auto_submitted = header_text(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        kind = "auto-reply" if auto_submitted == "auto-replied" else "automated"
        return Automated(kind, f"Auto-Submitted: {auto_submitted}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Reply"):
        value = header_text(message, name).lower()
        if value and value not in ("no", "false", "0"):
            return Automated("auto-reply", f"{name}: {value}")
    precedence = header_text(message, "Precedence").lower()
    if precedence in ("auto_reply", "auto-reply"):
        return Automated("auto-reply", f"Precedence: {precedence}")
    if precedence in ("bulk", "junk"):
        return Automated("automated", f"Precedence: {precedence}")
    if content_type == "multipart/report" and report_type == "disposition-notification":
        return Automated("automated", "a read receipt")
    if header_text(message, "Return-Path").strip() == "<>":
        return Automated("automated", "an empty return path")
    return None


# --- Mailing-list footers ---------------------------------------------------------------------

_LIST_FOOTERS = (
    # Mailman 2 and 3
    re.compile(r"\n_{20,}\n[^\n]*mailing list\b.*\Z", re.IGNORECASE | re.DOTALL),
    re.compile(r"\n_{20,}\n[^\n]*\bTo unsubscribe send an email to\b.*\Z", re.IGNORECASE | re.DOTALL),
    # Google Groups
    re.compile(
        r"\n(?:-- ?\n)?You received this message because you are subscribed to the Google Groups.*\Z", re.DOTALL
    ),
)


def without_list_footer(text: str) -> str:
    for footer in _LIST_FOOTERS:
        text = footer.sub("", text)
    return text.rstrip()


def body_of(message: EmailMessage) -> tuple[str, list[Leaf], Forwarded | None]:
    """The text to show (every text part; forwarded messages with their headers), the other
    parts as attachments, and the original sender when the message is a forward."""
    found = walk(message)
    text = "\n\n".join(found.texts)
    if message.get("List-Id"):
        text = without_list_footer(text)
    text = normalised_text(text)
    forwarded = found.forwarded or forwarded_in_text(text)
    return text, found.attachments, forwarded


# --- Is it an e-mail at all -------------------------------------------------------------------

_MAIL_HEADER = re.compile(
    rb"^(from|to|cc|subject|date|received|message-id|mime-version|return-path|delivered-to|reply-to|sender):",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_BLOCK_BYTES = 256 * 1024  # Exchange and Gmail add tens of kilobytes of Received/ARC headers


def has_mail_headers(raw: bytes) -> bool:
    """Whether ``raw`` starts with an RFC 5322 header block (at least two of the usual fields),
    whatever its body is: plain text, HTML, binary parts."""
    head = raw[:_HEADER_BLOCK_BYTES]
    if head.startswith(b"From "):  # an mbox "From " separator line before the headers
        head = head.split(b"\n", 1)[-1]
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    if b"\x00" in block:
        return False
    return len(_MAIL_HEADER.findall(block)) >= 2

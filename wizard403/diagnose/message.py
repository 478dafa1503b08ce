"""What a person reads on a refusal: the human message of a body, whatever its format.

A support engineer does not read a refusal as bytes: they read the JSON `message`, the XML `<Message>`, the HTML
title and headings, the plain text, the reason phrase, and they read an error code such as
`ACCESS_TOKEN_SCOPE_INSUFFICIENT` as the words it is made of. `extract_message` does the same, so that the language
layer (cues.py) can weigh words in every format alike.

Outside text is hostile: every step caps its work (bytes parsed, JSON nodes walked, depth, characters kept), never
raises on malformed input, and treats the body as data only.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

from wizard403.model import Exchange
from wizard403.textsafe import decode

JSON_LIMIT = 256 * 1024  # bytes of body handed to the JSON parser
HTML_LIMIT = 96 * 1024  # characters of HTML looked at (block pages say what they mean early)
PARSE_LIMIT = 12 * 1024  # characters of HTML, scripts and styles cut out, read for visible text
TEXT_LIMIT = 6 * 1024  # characters of plain text read
KEEP_LIMIT = 6 * 1024  # characters of extracted message kept in total
MAX_NODES = 4000  # JSON values walked
SMALL_JSON = 1024  # a JSON body this short is an error answer: every string in it is read
MAX_DEPTH = 32  # JSON nesting followed
MAX_PART = 600  # characters kept of any one string
SCRIPT_PAGE_LETTERS = 20  # a page with fewer visible letters than this, and a script, is a script page

# JSON keys (lower-cased, "_" and "-" dropped) whose string values are the message a person reads.
_MESSAGE_KEYS = frozenset(
    """message messages msg err errmsg detail details title reason error errors errordescription description errormessage
    errormsg errorsummary errortext errordetail errordetails errorreason errorcode errortype code status statustext
    statusmessage type subcode faultstring faultcode fault hint cause explanation text summary problem info
    localizedmessage usermessage displaymessage developermessage moreinfo reasoncode reasonphrase result""".split()
)
# Keys whose values are identifiers to be read as words (codes), not prose.
_CODE_KEYS = frozenset("code errorcode status reason type subcode faultcode reasoncode errortype error".split())
# Keys that never carry the message (ids, links, stack traces, request echo).
_SKIP_KEYS = frozenset("stack stacktrace trace traceback requestid traceid id url uri href link links documentation "
                       "docs helpurl request headers @type @context requestid hostid resource".split())

# An XML leaf element: its tag (namespace prefix dropped) and its text.
_XML_LEAF = re.compile(r"<(?:[\w.-]{1,40}:)?([A-Za-z][\w.-]{0,60})\b[^<>]{0,300}>([^<]{1,2000})</")
_XML_MESSAGE_WORDS = ("code", "message", "reason", "detail", "error", "fault", "description", "title", "status",
                      "text", "summary", "cause", "hint")
_XML_CODE_TAGS = frozenset({"code", "errorcode", "faultcode", "status", "reasoncode", "type"})
SMALL_XML = 1024  # an XML body this short is an error answer: every leaf in it is read
_HEADER_WORDS = ("error", "reason", "message", "denied", "block")
_HEADER_SKIP = frozenset({"set-cookie", "www-authenticate", "content-type", "content-security-policy"})

# Standard reason phrases carry nothing beyond the status; any other phrase is the server talking.
STANDARD_REASONS = frozenset(
    (
        "ok", "created", "accepted", "no content", "moved permanently", "found", "see other", "not modified",
        "temporary redirect", "permanent redirect", "bad request", "unauthorized", "unauthorised", "payment required",
        "forbidden", "not found", "method not allowed", "not acceptable", "proxy authentication required",
        "request timeout", "conflict", "gone", "length required", "precondition failed", "payload too large",
        "content too large", "uri too long", "unsupported media type", "range not satisfiable", "expectation failed",
        "misdirected request", "unprocessable entity", "unprocessable content", "locked", "upgrade required",
        "precondition required", "too many requests", "request header fields too large",
        "unavailable for legal reasons", "internal server error", "not implemented", "bad gateway",
        "service unavailable", "gateway timeout", "http version not supported",
    )
)

_SPACES = re.compile(r"\s+")
# an address, with the <placeholders> people write for the secrets in it
_URL = re.compile(r"\b(?:https?|ftp|wss?|s3|gs)://(?:[^\s\"'<>]|<[\w-]{1,30}>){0,2000}", re.IGNORECASE)
# A resource path in prose (projects/billing-prod/secrets/key, arn:...:bucket/a/b, /api/v2/orgs/acme/teams): an
# identifier the server echoes, not words it says; its parts ("billing", "private") must not read as a reason.
# File system paths are kept (cues.py reads them as one word).
_RESOURCE = re.compile(
    r"(?<![\w/\\])(?!/(?:var|home|srv|usr|etc|opt|tmp|data|mnt|www|root|run|Users|Library)/)"
    r"[\w.:@~+-]{0,200}(?:/[\w.:@~+*<>{}-]{1,200}){2,40}/?"
)
# Error codes: words glued by _ . - : or camelCase. One greedy class (linear), the rest is checked in Python.
_CODE_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{3,80}")
CODE_SCAN_LIMIT = 3000  # characters of prose scanned for glued codes (the codes themselves are always read)
_CAMEL_1 = re.compile(r"([a-z0-9])([A-Z])")
_CAMEL_2 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_GLUE = re.compile(r"[_.:-]+")


def split_code(code: str) -> str:
    """An identifier as the words it is made of: `ACCESS_TOKEN_SCOPE_INSUFFICIENT` -> "access token scope
    insufficient", `AuthorizationPermissionMismatch` -> "authorization permission mismatch", `ipNotAllowed` and
    `ip-not-allowed` -> "ip not allowed"."""
    text = _GLUE.sub(" ", code)
    text = _CAMEL_2.sub(r"\1 \2", _CAMEL_1.sub(r"\1 \2", text))
    return " ".join(text.lower().split())


def _is_glued(token: str) -> bool:
    if any(ch in token for ch in "_.:-"):
        return True
    return not (token.islower() or token.isupper() or token[1:].islower())


def code_words(text: str, prose: bool = False) -> list[str]:
    """The split forms of the code-like tokens in a text (prose words are left as they are). In `prose`, tokens
    glued only by _ - : in one case are left out: the cues split those where they stand."""
    out = []
    for token in _CODE_TOKEN.findall(text):
        token = token.strip("_.:-")
        if not _is_glued(token):
            continue
        if prose and "." not in token and (token.islower() or token.isupper()):
            continue
        words = split_code(token)
        if " " in words and words not in out:
            out.append(words)
    return out


@dataclass
class Message:
    """The readable parts of a response: `parts` in reading order (most telling first), `codes` as found."""

    form: str = "empty"  # json | xml | html | text | empty
    parts: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    title: str = ""  # the HTML title or the first message, for evidence lines
    size: int = 0  # characters kept so far
    scripted: bool = False  # an HTML page that loads or runs a script
    _seen: set = field(default_factory=set)
    _text: str | None = None

    def add(self, text: str, code: bool = False) -> None:
        text = _SPACES.sub(" ", text).strip()[:MAX_PART]
        if not text or self.size >= KEEP_LIMIT or text in self._seen:
            return
        self._seen.add(text)
        self.size += len(text) + 1
        self._text = None
        (self.codes if code else self.parts).append(text)

    @property
    def text(self) -> str:
        """Everything readable in one string: the parts, the codes, and every code read as its words. Addresses
        are left out: a URL's path and query are the request echoed back, not what the server says about it."""
        if self._text is None:
            prose = _RESOURCE.sub(" ", _URL.sub(" ", " \n ".join(self.parts)))
            codes = " \n ".join(self.codes)
            joined = prose + " \n " + codes if codes else prose
            # A code field is read as its words; in prose only the glued forms the cues cannot split where they
            # stand (camelCase, dotted names): "the 'read_only' scope" is read in its sentence, not again alone.
            words = code_words(codes)
            words += [w for w in code_words(prose[:CODE_SCAN_LIMIT], prose=True) if w not in words]
            self._text = joined + (" \n " + " \n ".join(words) if words else "")
        return self._text

    @property
    def script_page(self) -> bool:
        """A page that shows no words at all (no title, almost no visible text) and only runs a script: what a
        JavaScript challenge looks like to a client that does not run it."""
        if self.form != "html" or not self.scripted or self.title:
            return False
        return sum(ch.isalpha() for part in self.parts for ch in part) < SCRIPT_PAGE_LETTERS

    @property
    def headline(self) -> str:
        """The first readable line, for an evidence line."""
        return self.title or (self.parts[0] if self.parts else (self.codes[0] if self.codes else ""))


# ---------------------------------------------------------------------------------------------------------------
# JSON


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _walk_json(value, msg: Message, small: bool = False) -> None:
    """Breadth-first over the document with a node budget; message keys' strings are kept at any depth, and in a
    small document (an error answer, not data) every string but ids and links."""
    queue: list[tuple[object, str, int]] = [(value, "", 0)]
    nodes = 0
    while queue and nodes < MAX_NODES:
        item, key, depth = queue.pop(0)
        nodes += 1
        if isinstance(item, str):
            if key in _MESSAGE_KEYS or (key == "" and depth == 0) or (small and key not in _SKIP_KEYS):
                msg.add(item, code=key in _CODE_KEYS and " " not in item.strip())
            continue
        if depth >= MAX_DEPTH:
            continue
        if isinstance(item, dict):
            for name, child in item.items():
                k = _key(str(name))
                if k in _SKIP_KEYS:
                    continue
                if child is True and key:
                    msg.add(str(name), code=True)  # {"error": {"quotaExceeded": true}}: the flag's name is the message
                # inside an error envelope, any string is part of the message (`{"error": {"what": "..."}}`)
                child_key = k if k in _MESSAGE_KEYS or not key else key
                queue.append((child, child_key, depth + 1))
        elif isinstance(item, list):
            for child in item[:50]:
                queue.append((child, key, depth + 1))


def _from_json(text: str, msg: Message) -> bool:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return False
    msg.form = "json"
    _walk_json(data, msg, small=len(text) <= SMALL_JSON)
    return True


# ---------------------------------------------------------------------------------------------------------------
# HTML


_HIDDEN_BLOCKS = (("<script", "</script"), ("<style", "</style"), ("<template", "</template"), ("<svg", "</svg"),
                  ("<!--", "-->"), ("<nav", "</nav"), ("<footer", "</footer"))
_TITLE = re.compile(r"<title\b[^<>]{0,500}>([^<]{1,2000})", re.IGNORECASE)
_HEADING = re.compile(r"<h[1-3]\b[^<>]{0,500}>\s*(?:<(?:span|b|strong|i|em)\b[^<>]{0,200}>\s*)?([^<]{1,600})", re.IGNORECASE)
_INLINE_TAG = re.compile(r"</?(?:a|span|b|i|em|strong|code|small|font|u|abbr|kbd|tt|bdi|mark)\b[^<>]{0,2000}>",
                         re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^<>]{0,2000}>")


def _without_hidden(text: str) -> str:
    """The page with scripts, styles, templates, svg and comments cut out, in one linear pass (an unclosed one ends
    it). Invisible text must not speak for a cause: a challenge script names words no person sees. A site's
    navigation and footer are cut too: a person reading a refusal page skips its "Sign in" link and "Terms of
    service" footer."""
    low = text.lower()
    out: list[str] = []
    pos = total = 0
    upcoming = {opener: low.find(opener) for opener, _ in _HIDDEN_BLOCKS}
    closers = dict(_HIDDEN_BLOCKS)
    while total < PARSE_LIMIT:
        for opener, at in upcoming.items():
            if 0 <= at < pos:
                upcoming[opener] = low.find(opener, pos)
        found = [(at, opener) for opener, at in upcoming.items() if at >= 0]
        if not found:
            out.append(text[pos:pos + PARSE_LIMIT - total])
            break
        start, opener = min(found)
        out.append(text[pos:start])
        total += start - pos
        end = low.find(closers[opener], start + len(opener))
        close = low.find(">", end) if end >= 0 else -1
        if close < 0:
            break
        pos = close + 1
    return "".join(out)[:PARSE_LIMIT]


def _visible(fragment: str) -> str:
    """Markup as the text a browser shows: inline tags vanish, block tags break lines, entities are decoded."""
    return html.unescape(_ANY_TAG.sub("\n", _INLINE_TAG.sub("", fragment)))


# Where a challenge page names its widget: the id, action or source path of a form, iframe or script (a person
# reading the page source sees "captcha-form" or "/challenge-platform/"; the visible text may say nothing).
_WIDGET = re.compile(r"<(?:form|iframe|script|div)\b([^<>]{1,400})>", re.IGNORECASE)
_WIDGET_ATTR = re.compile(r"\b(?:id|action|src)\s*=\s*[\"']([^\"'<>]{1,200})[\"']", re.IGNORECASE)
_WIDGET_WORDS = ("captcha", "challenge", "chl", "turnstile")


def _widgets(page: str, msg: Message) -> None:
    n = 0
    for element in _WIDGET.finditer(page):
        for value in _WIDGET_ATTR.findall(element.group(1)):
            path = value.split("://", 1)[1].partition("/")[2] if "://" in value else value
            if any(w in path.lower() for w in _WIDGET_WORDS):
                msg.add(path.split("?", 1)[0][:120], code=True)
                n += 1
        if n >= 10:
            break


def _from_html(text: str, msg: Message) -> None:
    """Title, headings, then the visible text. Regular expressions rather than html.parser: the parser reads about
    4 KB per millisecond, too slow for the large ordinary pages a diagnosis also sees; these passes are linear and
    capped (PARSE_LIMIT) and only ever look for the text between tags."""
    msg.form = "html"
    msg.scripted = "<script" in text[:HTML_LIMIT].lower()
    page = _without_hidden(text[:HTML_LIMIT])
    title = _TITLE.search(text[:HTML_LIMIT])
    if title:
        msg.title = _SPACES.sub(" ", _visible(title.group(1))).strip()[:MAX_PART]
        msg.add(msg.title)
    for n, heading in enumerate(_HEADING.finditer(page)):
        if n >= 12:
            break
        msg.add(html.unescape(heading.group(1)))
    for line in _visible(page).split("\n"):
        if msg.size >= KEEP_LIMIT:
            break
        msg.add(line)
    _widgets(text[:HTML_LIMIT], msg)


# ---------------------------------------------------------------------------------------------------------------


def _from_xml(text: str, msg: Message) -> None:
    """The leaves whose tag names a message (Code, Message, faultstring, ErrorDescription...); in a small document,
    every leaf but ids."""
    msg.form = "xml"
    small = len(text) <= SMALL_XML
    for n, (tag, value) in enumerate(_XML_LEAF.findall(text[:JSON_LIMIT])):
        if n >= 200:
            break
        low = tag.lower().replace("-", "").replace("_", "")
        if low in _SKIP_KEYS or not (small or any(w in low for w in _XML_MESSAGE_WORDS)):
            continue
        value = html.unescape(value).strip()
        msg.add(value, code=low in _XML_CODE_TAGS and " " not in value)


def _looks_html(head: str, content_type: str) -> bool:
    if "html" in content_type:
        return True
    low = head[:512].lower()
    return "<html" in low or "<!doctype html" in low or "<body" in low or "<title" in low or low.startswith("<script")


def extract_text(body: str, content_type: str = "", reason: str = "", headers=None) -> Message:
    """The readable message of a decoded body (and of the reason phrase and error headers)."""
    msg = Message()
    stripped = body.lstrip()[:JSON_LIMIT]
    head = stripped[:1]
    if head in "{[" and head and _from_json(stripped, msg):
        pass
    elif _looks_html(stripped, content_type):
        _from_html(stripped, msg)
    elif head == "<" or "xml" in content_type:
        _from_xml(stripped, msg)
        if not msg.parts and not msg.codes and "<" in stripped[:200]:
            _from_html(stripped, msg)  # tag soup that is not an error document: read it as a page
    elif stripped:
        msg.form = "text"
        for line in stripped[:TEXT_LIMIT].splitlines():
            msg.add(line)
    if reason and " ".join(reason.lower().split()) not in STANDARD_REASONS:
        msg.add(reason)
    for name, value in headers or ():
        low = name.lower()
        if low not in _HEADER_SKIP and any(w in low for w in _HEADER_WORDS):
            msg.add(value, code=" " not in value.strip())
    return msg


def extract_message(exchange: Exchange, body: str | None = None) -> Message:
    """The readable message of one exchange; `body` is the already decoded body when the caller has it."""
    if body is None:
        raw = exchange.body or b""
        charset = None
        for param in (exchange.response_headers.get("content-type") or "").split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"' ")
        body = decode(raw[:JSON_LIMIT], charset)
    return extract_text(body, exchange.content_type, exchange.reason or "", exchange.response_headers)

"""A source's text as Parley keeps it: pasted or uploaded, decoded, converted, normalised.

Evidence offsets are counted in Unicode code points of the stored text, so the text is
put in one form before anything is counted in it: Unicode NFC (a decomposed "é", ``e``
and U+0301, becomes the one code point U+00E9, as a browser's selection of it reports
it), and line breaks as LF (a browser posts a textarea's lines with CRLF). Its SHA-256
is of that form's UTF-8 bytes, so anyone holding a copy can check it is the text the
offsets are counted in.

An upload is a ``.txt`` file or an ``.html`` page (``_html_text``). Its bytes are read
in the charset its part declares, else the one its byte-order mark or (a page) its
``<meta charset>`` names, else UTF-8; bytes that are not text in that charset are refused,
never replaced.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from service.editing._html_text import HtmlText, html_to_text

#: What an uploaded file may be, by its name's suffix.
UPLOAD_KINDS = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".xhtml": "html"}
#: ... or, for a file with no such suffix, by its part's media type.
UPLOAD_MEDIA_TYPES = {"text/plain": "text", "text/html": "html", "application/xhtml+xml": "html"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.I)


class UploadError(ValueError):
    """An uploaded file that is not a text Parley can keep; the message says why."""


@dataclass(frozen=True)
class SourceText:
    """A text as stored, and what an HTML page said about itself (``None``: not a page)."""

    text: str
    page: HtmlText | None = None

    @property
    def sha256(self) -> str:
        return text_sha256(self.text)


def normalise(text: str) -> str:
    """The text in the form Parley keeps: NFC, line breaks as LF.

    >>> normalise("Cafe\\u0301\\r\\nau lait\\r") == "Caf\\u00e9\\nau lait\\n"
    True
    """
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def text_sha256(text: str) -> str:
    """The SHA-256 of a stored text's UTF-8 bytes, as 64 lowercase hex digits.

    >>> text_sha256("abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pasted_text(text: str) -> SourceText:
    """A text pasted into the form or sent as JSON."""
    return SourceText(normalise(text))


def upload_kind(filename: str, media_type: str) -> str | None:
    """``"text"``, ``"html"``, or ``None`` for a file Parley does not read as a source.

    >>> upload_kind("Talks.HTML", ""), upload_kind("notes", "text/plain"), upload_kind("a.pdf", "")
    ('html', 'text', None)
    """
    name = filename.lower()
    for suffix, kind in UPLOAD_KINDS.items():
        if name.endswith(suffix):
            return kind
    return UPLOAD_MEDIA_TYPES.get(media_type.split(";", 1)[0].strip().lower())


def uploaded_text(filename: str, content_type: str, data: bytes) -> SourceText:
    """An uploaded ``.txt`` or ``.html`` file as a source's text.

    >>> uploaded_text("a.html", "text/html", b"<p>caf&eacute;</p><script>x</script>").text
    'café'
    >>> uploaded_text("a.txt", "text/plain; charset=windows-1251", "Мир".encode("cp1251")).text
    'Мир'

    :raises UploadError: not a ``.txt`` or ``.html`` file, or not text in its charset.
    """
    kind = upload_kind(filename, content_type)
    if kind is None:
        raise UploadError(
            f"{filename or 'the file'} is not a .txt or .html file: upload the source's text "
            "as plain text (.txt) or as a web page (.html)"
        )
    decoded = _decode(data, content_type, html=kind == "html")
    if kind == "text":
        return SourceText(normalise(decoded))
    page = html_to_text(decoded)
    return SourceText(normalise(page.text), page)


def _decode(data: bytes, content_type: str, *, html: bool) -> str:
    charset = _declared_charset(data, content_type, html=html)
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        raise UploadError(
            f"the file names a charset this server does not know: {charset!r}"
        ) from None
    try:
        # A byte-order mark is no part of the text.
        return data.decode(codec.name).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"the file is not {codec.name} text (byte {exc.start}: {exc.reason}); save it as "
            "UTF-8, or name its charset"
        ) from None


def _declared_charset(data: bytes, content_type: str, *, html: bool) -> str:
    """The charset of a part's ``Content-Type``, its byte-order mark, a page's
    ``<meta charset>`` (in its first 1,024 bytes, as HTML's prescan reads it), or UTF-8."""
    declared = _CHARSET_PARAM.search(content_type or "")
    if declared:
        return declared.group(1)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if html:
        meta = _META_CHARSET.search(data[:1024])
        if meta:
            return meta.group(1).decode("ascii")
    return "utf-8"

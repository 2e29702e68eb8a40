"""A page of the feed of changes as an Atom feed (RFC 4287), paged as RFC 5005 pages are.

Each entry's ``<id>`` is its write record's IRI (what ``since=`` takes), its author the
editor (``<name>``, and the agent's IRI as ``<uri>``), ``<updated>`` the time the write
ended, ``<link rel="alternate">`` the record, ``rel="related"`` links the main subjects
it added or removed, and the summary says what changed in words. The feed links
``rel="next"`` to the page after this one when there was more to read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from service.editing._changes import ChangeEntry, ChangePage

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"


def atom_feed(
    page: ChangePage,
    *,
    feed_id: str,
    self_url: str,
    html_url: str,
    next_url: str | None,
) -> bytes:
    """The feed document of ``page`` (its entries in the page's order)."""
    # Plain names under a default namespace declared on the root: Atom's attributes are
    # in no namespace, which ElementTree's ``default_namespace`` cannot write.
    feed = ET.Element("feed", xmlns=ATOM)
    _text(feed, "id", feed_id)
    _text(feed, "title", "Parley: latest changes")
    _text(feed, "subtitle", "Every write the write gate accepted, with its editor and time.")
    newest = max((e.ended for e in page.entries), default="")
    _text(feed, "updated", newest or datetime.now(UTC).isoformat())
    _link(feed, "self", self_url, MEDIA_TYPE)
    _link(feed, "alternate", html_url, "text/html")
    if next_url is not None:
        _link(feed, "next", next_url, MEDIA_TYPE)
    author = ET.SubElement(feed, "author")
    _text(author, "name", "Parley")
    for entry in page.entries:
        _entry(feed, entry)
    body: bytes = ET.tostring(feed, encoding="unicode").encode("utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def summary(entry: ChangeEntry) -> str:
    """What a write changed, in words.

    >>> from service.editing._changes import Named, Subjects
    >>> e = ChangeEntry("r", Named("r", "w", None), Named("e", "Ana", None), "add claim",
    ...     "", "", (Named("g", "graph:claims/x", None),), 3, 0, 1,
    ...     Subjects((Named("c", "Claim C9", None),), 1))
    >>> summary(e)[:60]
    'add claim by Ana: 3 statements added, 0 removed (1 inferred)'
    >>> summary(e)[60:]
    ' in graph:claims/x. Added: Claim C9.'
    """
    text = (
        f"{entry.operation} by {entry.editor.label}: {entry.added} statement"
        f"{'' if entry.added == 1 else 's'} added, {entry.removed} removed"
    )
    if entry.inferred:
        text += f" ({entry.inferred} inferred)"
    if entry.graphs:
        text += " in " + ", ".join(g.label for g in entry.graphs)
    text += "."
    for name, side in (("Added", entry.subjects_added), ("Removed", entry.subjects_removed)):
        if side.top:
            more = side.total - len(side.top)
            text += f" {name}: " + ", ".join(s.label for s in side.top)
            text += f" and {more} more." if more > 0 else "."
    return text


def _entry(feed: ET.Element, entry: ChangeEntry) -> None:
    item = ET.SubElement(feed, "entry")
    _text(item, "id", entry.id)
    _text(item, "title", entry.title)
    _text(item, "updated", entry.ended)
    if entry.started:
        _text(item, "published", entry.started)
    author = ET.SubElement(item, "author")
    _text(author, "name", entry.editor.label)
    if entry.editor.iri:
        _text(author, "uri", entry.editor.iri)
    _link(item, "alternate", entry.id, "text/html")
    ET.SubElement(item, "category", term=entry.operation)
    for side in (entry.subjects_added, entry.subjects_removed):
        for subject in side.top:
            if subject.iri:
                ET.SubElement(item, "link", rel="related", href=subject.iri, title=subject.label)
    _text(item, "summary", summary(entry))


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, name)
    element.text = text
    return element


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, "link", rel=rel, href=href, type=media_type)

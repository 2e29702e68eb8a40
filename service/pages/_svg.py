"""Building blocks of the pages' server-rendered SVG pictures, escaped as they are built.

Every picture is built from ``element``: attribute values and text are escaped by
markupsafe (``<``, ``&``, quotes), and only what ``element`` itself returned (a
``Markup``) is trusted as markup, so a label such as ``"Q&A <draft>"`` is drawn as
text and can never become an element.

The pictures take the width of the page and keep their text at its own size: their
horizontal positions are percentages of the picture's width and their vertical ones
pixels, with no ``viewBox`` to scale them. A label is 12 pixels or more on a phone
as on a laptop; what a narrow screen cannot hold is cut (``fit``) or moved by CSS.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9:_-]*$")

Attrs = Mapping[str, object]


def element(tag: str, attrs: Attrs | None = None, *children: str | Markup) -> Markup:
    """One SVG element: its attributes and text escaped, its child elements kept.

    ``None`` and ``False`` attributes are left out; names must be plain XML names.

    >>> element("text", {"x": "5%", "class": "label"}, "Q&A <draft>")
    Markup('<text x="5%" class="label">Q&amp;A &lt;draft&gt;</text>')
    >>> element("circle", {"r": 4, "title": None})
    Markup('<circle r="4"/>')
    """
    if not _NAME.match(tag):
        raise ValueError(f"not an element name: {tag!r}")
    parts = ["<", tag]
    for name, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        if not _NAME.match(name):
            raise ValueError(f"not an attribute name: {name!r}")
        parts += [" ", name, '="', escape(value), '"']
    if not children:
        return Markup("".join([*parts, "/>"]))
    body = "".join(escape(child) for child in children)
    return Markup("".join([*parts, ">", body, "</", tag, ">"]))


def group(children: Iterable[Markup], attrs: Attrs | None = None) -> Markup:
    """A ``<g>`` of elements (nothing when there are none)."""
    items = list(children)
    return element("g", attrs, *items) if items else Markup("")


def link(href: str | None, children: Iterable[Markup], title: str) -> Markup:
    """A mark that leads to a page, titled for pointers and screen readers; without an
    address, the titled mark alone."""
    items = [element("title", None, title), *children]
    if href:
        return element("a", {"href": href}, *items)
    return element("g", None, *items)


def picture(
    ident: str, *, height: float, title: str, desc: str, body: Iterable[Markup], css: str
) -> Markup:
    """The ``<svg>`` root: a group of marks named by its ``<title>`` and described by its
    ``<desc>``, whose links stay reachable."""
    return element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": "100%",
            "height": num(height),
            # Not "img": an image's content is presentational, and these hold links a
            # keyboard and a screen reader must reach (axe: nested-interactive).
            "role": "group",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "class": css,
        },
        element("title", {"id": f"{ident}-title"}, title),
        element("desc", {"id": f"{ident}-desc"}, desc),
        *body,
    )


def pct(value: float) -> str:
    """A share of the picture's width, as an SVG length.

    >>> pct(12.3456), pct(100), pct(-0.0)
    ('12.35%', '100%', '0%')
    """
    return f"{num(value)}%"


def num(value: float) -> str:
    """A number as SVG writes it: at most two decimals, no trailing zeros.

    >>> num(3.0), num(2.505), num(-0.001)
    ('3', '2.5', '0')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fit(label: str, limit: int) -> str:
    """A label cut to ``limit`` characters between words, with an ellipsis when cut.

    >>> fit("Full-scale Russian invasion of Ukraine", 24)
    'Full-scale Russian…'
    >>> fit("Istanbul", 24)
    'Istanbul'
    """
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    cut = label[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-(") + "…"


def lines(label: str, width: int, most: int) -> list[str]:
    """A label broken into at most ``most`` lines of ``width`` characters (the last cut).

    >>> lines("Author of the article (unnamed)", 14, 2)
    ['Author of the', 'article…']
    """
    wrapped = textwrap.wrap(" ".join(label.split()), width) or [""]
    if len(wrapped) <= most:
        return wrapped
    kept = wrapped[:most]
    kept[-1] = fit(" ".join(wrapped[most - 1 :]), width)
    return kept

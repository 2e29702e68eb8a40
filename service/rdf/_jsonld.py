"""JSON-LD a person can read: pyoxigraph writes it expanded (every IRI whole, no
``@context``); ``compact_jsonld`` shortens the IRIs of properties, types and nodes with
the deployment's prefixes and states them in an inline ``@context``.

Only IRIs are shortened, to compact IRIs (``rdfs:label``, ``id:Putin``) whose prefix the
context defines, so any JSON-LD processor expands the document back to the same triples
without fetching anything (the context is inline).
"""

from __future__ import annotations

import json
from typing import Any

#: Keys whose values are IRIs (or lists of IRIs) in expanded JSON-LD.
_IRI_VALUES = ("@id", "@type")


def compact_jsonld(expanded: bytes, prefixes: dict[str, str]) -> bytes:
    """The document with a context of ``prefixes`` and IRIs shortened with them.

    >>> doc = b'[{"@id":"http://x/id/A","http://x/o#p":[{"@id":"http://x/id/B"}]}]'
    >>> print(compact_jsonld(doc, {"id": "http://x/id/", "o": "http://x/o#"}).decode())
    {"@context":{"id":"http://x/id/","o":"http://x/o#"},"@graph":[{"@id":"id:A","o:p":[{"@id":"id:B"}]}]}
    """
    usable = {
        name: iri
        for name, iri in prefixes.items()
        if name and not name.startswith("@") and iri.endswith(("/", "#", ":"))
    }
    # The longest namespace first: ``claim:`` before ``id:`` for <…/id/claim/C17>.
    ordered = sorted(usable.items(), key=lambda item: len(item[1]), reverse=True)

    def short(iri: str) -> str:
        for name, namespace in ordered:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and not local.startswith("//"):
                return f"{name}:{local}"
        return iri

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _IRI_VALUES:
                out[key] = [short(v) for v in value] if isinstance(value, list) else short(value)
            elif key.startswith("@"):
                out[key] = walk(value)
            else:
                out[short(key)] = walk(value)
        return out

    graph = json.loads(expanded)
    used = {name: iri for name, iri in ordered if name in usable}
    document = {"@context": dict(sorted(used.items())), "@graph": walk(graph)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

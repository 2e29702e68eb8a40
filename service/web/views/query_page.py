"""The query page's answer for a person: the SPARQL view hands a browser's query here.

The query is evaluated like any other (SPARQL JSON for solutions, N-Triples
for graphs) and shown as a table with labelled, linked IRIs, with a link to
download the answer in each format the endpoint serves for its kind.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template

from service.pages import Labels, from_ntriples, from_results_json
from service.rdf import RDF_FORMATS, RESULT_FORMATS, query_form
from service.sparql import Operation
from service.web._services import services


def render_answer(op: Operation, *, body: bytes) -> str:
    """The query page with the answer to ``op`` as a table.

    ``body`` is the answer already evaluated (SPARQL JSON, or N-Triples for graphs) by
    the endpoint's query pool, under its time limit and caps.
    """
    svc = services()
    graphs = query_form(op.text) in ("CONSTRUCT", "DESCRIBE")
    labels = Labels(svc.store, svc.vocab)
    table = from_ntriples(body, labels) if graphs else from_results_json(body, labels)
    downloads = [
        (fmt, "/sparql?" + urlencode({"query": op.text, "format": fmt.name}))
        for fmt in (RDF_FORMATS if graphs else RESULT_FORMATS)
    ]
    return render_template(
        "query.html", prefixes=svc.vocab.prefixes(), query=op.text, table=table, downloads=downloads
    )

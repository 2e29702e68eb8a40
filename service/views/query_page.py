"""The query page's answer for a person: the SPARQL view hands a browser's query here.

The query is evaluated like any other (SPARQL JSON for solutions, N-Triples
for graphs) and shown as a table with labelled, linked IRIs, with a link to
download the answer in each format the endpoint serves for its kind.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import render_template

from service.app import services
from service.formats import JSON, NTRIPLES, RDF_FORMATS, RESULT_FORMATS
from service.labels import Labels
from service.protocol import Operation
from service.results_table import from_ntriples, from_results_json
from service.sparql_text import has_dataset_clause, query_form


def render_answer(op: Operation, *, body: bytes | None = None) -> str:
    """The query page with the answer to ``op`` as a table.

    ``body`` is the answer already evaluated (SPARQL JSON, or N-Triples for graphs) by
    the endpoint's query pool, under its time limit and caps.
    """
    svc = services()
    graphs = query_form(op.text) in ("CONSTRUCT", "DESCRIBE")
    if body is None:
        body = svc.store.evaluate(
            op.text,
            dataset=op.dataset(),
            query_has_dataset=has_dataset_clause(op.text),
            results_format=None if graphs else JSON,
            graph_format=NTRIPLES if graphs else None,
        ).body
    labels = Labels(svc.store, svc.vocab)
    table = from_ntriples(body, labels) if graphs else from_results_json(body, labels)
    downloads = [
        (fmt, "/sparql?" + urlencode({"query": op.text, "format": fmt.name}))
        for fmt in (RDF_FORMATS if graphs else RESULT_FORMATS)
    ]
    return render_template(
        "query.html", prefixes=svc.vocab.prefixes(), query=op.text, table=table, downloads=downloads
    )

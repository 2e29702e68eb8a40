"""What the HTML pages show: view models of entities, claims, events, sources and
the model documentation, label lookups, and full-text search (Tantivy).

One description, many renderers: the web layer renders these as HTML or RDF.
"""

from service.pages._catalogue import fragments_in, graph_listing, instances, overview
from service.pages._entities import INCOMING_LIMIT, PREVIEW_INCOMING_LIMIT, Description, describe
from service.pages._entity import entity_page
from service.pages._examples import EXAMPLES
from service.pages._home import home_page, operation_of, readable_time
from service.pages._labels import Labels
from service.pages._model_doc import ontology_doc, shapes_doc
from service.pages._network import network_page
from service.pages._results_table import from_ntriples, from_results_json
from service.pages._search import (
    NAME_PREDICATES,
    QUOTE_PATH,
    TEXT_PREDICATES,
    SearchIndex,
)
from service.pages._search_text import MATCH_END, MATCH_START
from service.pages._statement_tables import Paging
from service.pages._timeline import timeline_page

__all__ = [
    "EXAMPLES",
    "INCOMING_LIMIT",
    "MATCH_END",
    "MATCH_START",
    "NAME_PREDICATES",
    "PREVIEW_INCOMING_LIMIT",
    "QUOTE_PATH",
    "TEXT_PREDICATES",
    "Description",
    "Labels",
    "Paging",
    "SearchIndex",
    "describe",
    "entity_page",
    "fragments_in",
    "from_ntriples",
    "from_results_json",
    "graph_listing",
    "home_page",
    "instances",
    "network_page",
    "ontology_doc",
    "operation_of",
    "overview",
    "readable_time",
    "shapes_doc",
    "timeline_page",
]

"""Each package's seam: the names other packages use, and nothing reaches past it.

As httpx's ``test_exported_members``: the public surface of each subsystem is
listed here, so a change to it is a deliberate change to this file; and no
module imports another package's private modules (``service.<pkg>._name``),
so the seam is the only door between packages.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SEAMS: dict[str, list[str]] = {
    "rdf": [
        "ALL_FORMATS",
        "BY_NAME",
        "BlankNode",
        "Capped",
        "DCTERMS",
        "DefaultGraph",
        "Format",
        "GraphName",
        "HTML",
        "JSON",
        "JSONLD",
        "Literal",
        "NQUADS",
        "NTRIPLES",
        "NamedNode",
        "Namespace",
        "OA",
        "OWL",
        "PROV",
        "Quad",
        "RDF",
        "RDFS",
        "RDFXML",
        "RDF_FORMATS",
        "RESULT_FORMATS",
        "SCHEMA",
        "SH",
        "SKOS",
        "Subject",
        "TSV",
        "TURTLE",
        "Term",
        "Token",
        "Triple",
        "Vocab",
        "XSD",
        "boolean_bindings",
        "by_suffix",
        "capped_from_lines",
        "from_rdflib",
        "graphs_outside_renamed",
        "has_codepoint_escapes",
        "has_dataset_clause",
        "leading_base",
        "literals_verbatim",
        "negotiate",
        "parse",
        "parse_boolean",
        "parse_results",
        "parse_solutions",
        "prefers_html",
        "prefixes_for",
        "quads_from_wire",
        "quads_to_wire",
        "query_form",
        "rdf_format",
        "rdf_format_for_content_type",
        "rdflib_graph",
        "readable_syntax_error",
        "serialize",
        "serialize_capped",
        "skolemize",
        "star_in_written_order",
        "syntax_position",
        "term_to_rdflib",
        "to_rdflib",
        "tokens",
        "unescape_codepoints",
        "update_has_using_or_with",
        "without_comments",
        "without_local_escapes",
    ],
    "store": [
        "Answer",
        "ChangeSet",
        "DatasetSpec",
        "GraphStore",
        "OxigraphStore",
        "RemoteSource",
        "RemoteStore",
        "Row",
        "Snapshot",
        "canonical_quads",
        "has_blank_node",
        "open_store",
        "remote_source",
        "snapshot",
    ],
    "reasoning": [
        "Budget",
        "Fact",
        "Facts",
        "Node",
        "OverBudget",
        "Overlay",
        "Reasoner",
        "Rules",
        "StoreFacts",
        "closure",
        "compile_rules",
        "infer_change",
    ],
    "gate": [
        "Accepted",
        "Recorder",
        "ShaclValidator",
        "Stamp",
        "ValidateInContext",
        "ValidateWithShapes",
        "ValidationReport",
        "WriteGate",
        "WriteOutcome",
        "check_seed_data",
        "guard_writes",
        "report_from_wire",
    ],
    "query": [
        "CheckpointRunner",
        "Guard",
        "QueryJob",
        "QueryLimits",
        "QueryPool",
        "QueryRunner",
        "RemoteQueryRunner",
        "Streamed",
        "copy_fits",
    ],
    "sparql": [
        "Operation",
        "UpdateContext",
        "VoidCache",
        "answer_query",
        "apply_update",
        "check_outbound",
        "parse_operation",
        "run_query",
        "service_description",
    ],
    "pages": [
        "Description",
        "EXAMPLES",
        "INCOMING_LIMIT",
        "Labels",
        "MATCH_END",
        "MATCH_START",
        "NAME_PREDICATES",
        "PREVIEW_INCOMING_LIMIT",
        "Paging",
        "QUOTE_PATH",
        "SearchIndex",
        "TEXT_PREDICATES",
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
    ],
    "build": [
        "DUMP_FORMATS",
        "Journal",
        "ModelFiles",
        "build",
        "dump",
        "dump_format",
        "journal_dir",
        "keep_journal",
        "load_data",
        "load_ontology",
        "load_shapes",
        "restore",
        "write_dump",
    ],
    "editing": [
        "Addition",
        "BatchOutcome",
        "Block",
        "ChangeEntry",
        "ChangePage",
        "ChangeStream",
        "ChangeStreams",
        "Choice",
        "ClaimFields",
        "ClaimFieldsError",
        "ClaimOutcome",
        "Cursor",
        "Editor",
        "Field",
        "FieldError",
        "FieldProblem",
        "Form",
        "HtmlText",
        "NEW_ACTOR",
        "NewSource",
        "NewSourceFields",
        "OneOf",
        "Quote",
        "Registry",
        "ReviewOutcome",
        "RowOutcome",
        "SESSION_COOKIE",
        "SESSION_LIFETIME",
        "Session",
        "Sessions",
        "SourceDraft",
        "SourceKind",
        "SourceText",
        "UploadError",
        "Writer",
        "actor_types",
        "add_claim",
        "add_claims",
        "add_review",
        "added_by",
        "atom_feed",
        "changes_after",
        "changes_before",
        "choices_matching",
        "claim_fields_from_form",
        "claim_fields_from_json",
        "claim_form_values",
        "claims_from_csv",
        "cursor_at",
        "edit_claim",
        "editors_file",
        "field_of",
        "field_result",
        "form_for",
        "form_for_shape",
        "html_to_text",
        "is_withdrawn",
        "latest_cursor",
        "limit_of",
        "pasted_text",
        "picker_options",
        "plan_source",
        "quote_at",
        "resolve_iri",
        "retract_claim",
        "retraction",
        "review_form",
        "revision",
        "source_kinds",
        "takes_new_actor",
        "triples_from_fields",
        "uploaded_text",
    ],
    "web": ["create_app", "serve"],
    "cli": ["main"],
}


@pytest.mark.parametrize("package", sorted(SEAMS))
def test_the_seam_is_what_it_says(package: str) -> None:
    module = importlib.import_module(f"service.{package}")
    assert sorted(getattr(module, "__all__", [])) == SEAMS[package]
    for name in SEAMS[package]:
        assert getattr(module, name, None) is not None, f"service.{package}.{name}"
    assert module.__doc__, f"service/{package}/__init__.py says what the package is for"


def _imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
    return found


def test_no_module_reaches_past_another_packages_seam() -> None:
    reached = []
    for path in sorted([*(ROOT / "service").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]):
        parts = path.relative_to(ROOT).parts
        own = parts[1] if parts[0] == "service" and len(parts) > 2 else None
        for name, line in _imports(path):
            bits = name.split(".")
            if (
                len(bits) >= 3
                and bits[0] == "service"
                and bits[1] in SEAMS
                and bits[1] != own
                and bits[2].startswith("_")
            ):
                reached.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert reached == []


def test_every_subsystem_is_a_package_and_the_top_holds_only_leaves() -> None:
    top = sorted(p.name for p in (ROOT / "service").iterdir() if p.suffix == ".py")
    assert top == ["__init__.py", "errors.py", "logsetup.py", "settings.py"]
    packages = sorted(p.name for p in (ROOT / "service").iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(SEAMS)


def test_the_command_line_imports_only_what_every_command_needs() -> None:
    """``import service.cli`` brings in no engine and no other subsystem: multiprocessing
    runs the ``parley`` script again in every process a server forks from its forkserver,
    so this import is each of theirs too (service/cli/__init__.py)."""
    code = "import sys, service.cli; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(done.stdout.split())
    assert "service.cli._main" in loaded  # the commands are there, as click commands
    heavy = {"rdflib", "pyshacl", "owlrl", "pyoxigraph", "flask", "granian", "httpx"}
    subsystems = {m for m in loaded if m.startswith("service.")} - {
        m for m in loaded if m.startswith(("service.cli", "service.settings", "service.errors"))
    }
    assert not loaded & heavy, sorted(loaded & heavy)
    assert not subsystems, sorted(subsystems)

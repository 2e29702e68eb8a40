"""The editors' workbench: who may edit, and what an edit writes.

Editors and their tokens, sign-in sessions, new sources, claims marked in a
source's text (the forms are generated from the SHACL shapes), revisions and
retractions, and the feed of accepted changes. Every write it makes goes
through the write gate (``service.gate``); the web layer (``service.web``) and
the CLI (``service.cli``) are its only callers.
"""

from service.editing._added_by import Addition, added_by
from service.editing._change_stream import ChangeStream, ChangeStreams
from service.editing._changes import (
    ChangeEntry,
    ChangePage,
    Cursor,
    changes_after,
    changes_before,
    cursor_at,
    latest_cursor,
    limit_of,
)
from service.editing._changes_atom import atom_feed
from service.editing._claim_fields import (
    ClaimFields,
    ClaimFieldsError,
    claim_fields_from_form,
    claim_fields_from_json,
)
from service.editing._claim_results import FieldProblem
from service.editing._claim_writes import (
    BatchOutcome,
    ClaimOutcome,
    NewSourceFields,
    RowOutcome,
    add_claim,
    add_claims,
)
from service.editing._claims_csv import claims_from_csv
from service.editing._editors import Editor, Registry, Writer, editors_file
from service.editing._form import form_for, form_for_shape
from service.editing._form_choices import (
    Quote,
    actor_types,
    choices_matching,
    picker_options,
    quote_at,
    takes_new_actor,
)
from service.editing._form_model import NEW_ACTOR, Block, Choice, Field, FieldError, Form, OneOf
from service.editing._form_values import resolve_iri, triples_from_fields
from service.editing._html_text import HtmlText, html_to_text
from service.editing._reviews_new import ReviewOutcome, add_review, review_form
from service.editing._revisions import claim_form_values, edit_claim, retract_claim
from service.editing._sessions import COOKIE as SESSION_COOKIE
from service.editing._sessions import LIFETIME as SESSION_LIFETIME
from service.editing._sessions import Session, Sessions
from service.editing._source_fields import SourceKind, source_kinds
from service.editing._source_text import SourceText, UploadError, pasted_text, uploaded_text
from service.editing._sources import (
    NewSource,
    SourceDraft,
    field_of,
    field_result,
    plan_source,
)
from service.editing._versions import is_withdrawn, retraction, revision

__all__ = [
    "NEW_ACTOR",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
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
    "NewSource",
    "NewSourceFields",
    "OneOf",
    "Quote",
    "Registry",
    "ReviewOutcome",
    "RowOutcome",
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
]

"""The queries of search: how what a person types becomes a Tantivy query, and the
analyzers the index shares with them (``service.pages._search`` holds the index)."""

from __future__ import annotations

import tantivy

from service.pages._search_text import FUZZY_MIN_LENGTH, ident_key

WORDS = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)
#: Edge n-grams of single words (each name word is indexed as its own value).
PREFIXES = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(min_gram=1, max_gram=24, prefix_only=True))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)
#: Field weights: a match in a name outranks one in the claimant's name, then the text.
BOOSTS = {"label": 10.0, "who": 3.0, "body": 1.0}
PREFIX_BOOST = 5.0
#: A word one typo from a searched word (``FUZZY_MIN_LENGTH`` letters or more) matches at
#: this fraction of an exact match's weight.
FUZZY_WEIGHT = 0.3
#: The score of an exact local name (``putin``): above any match of words; an exact
#: ``dcterms:identifier`` (``C17``) counts twice that (``review/C17`` is not claim C17).
IDENT_BOOST = 100_000.0


def query_words(text: str) -> list[str]:
    """The words of what a person typed, normalised as the index normalises text.

    >>> query_words('Zelenskyy "says" OR Kyïv')
    ['zelenskyy', 'says', 'or', 'kyiv']
    """
    return WORDS.analyze(text)


def words_query(schema: tantivy.Schema, words: list[str]) -> tantivy.Query:
    """Every word must match a name, the claimant's name or the text; the last word
    may also be the start of a name word."""
    must = []
    for position, word in enumerate(words):
        alternatives = [
            tantivy.Query.boost_query(tantivy.Query.term_query(schema, field, word), boost)
            for field, boost in BOOSTS.items()
        ]
        if len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
            # One typo ("istambul" finds "Istanbul"), ranked below an exact match.
            alternatives += [
                tantivy.Query.boost_query(
                    tantivy.Query.fuzzy_term_query(schema, field, word, distance=1),
                    boost * FUZZY_WEIGHT,
                )
                for field, boost in BOOSTS.items()
            ]
        if position == len(words) - 1:
            prefix = tantivy.Query.term_query(schema, "prefix", word, index_option="basic")
            alternatives.append(tantivy.Query.boost_query(prefix, PREFIX_BOOST))
        should = [(tantivy.Occur.Should, q) for q in alternatives]
        must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(should)))
    return tantivy.Query.boolean_query(must)


def ident_query(schema: tantivy.Schema, text: str, field: str = "ident") -> tantivy.Query:
    """An identifier or a local name, whole and case-insensitively."""
    return tantivy.Query.term_query(schema, field, ident_key(text), index_option="basic")


def named_queries(schema: tantivy.Schema, text: str) -> list[tantivy.Query]:
    """What ``text`` names as an identifier, scored above any match of words: a claim's
    identifier twice as high as a local name (``review/C17`` is not claim C17)."""
    return [
        tantivy.Query.const_score_query(ident_query(schema, text), 2 * IDENT_BOOST),
        tantivy.Query.const_score_query(ident_query(schema, text, "local"), IDENT_BOOST),
    ]


def ranked_query(schema: tantivy.Schema, text: str, words: list[str]) -> tantivy.Query:
    """The words of ``text``, and what it names as an identifier, above them."""
    return tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Should, q)
            for q in [words_query(schema, words), *named_queries(schema, text)]
        ]
    )


def suggestion_query(schema: tantivy.Schema, text: str, words: list[str]) -> tantivy.Query:
    """Names and local names close to ``text``: any of its words, with up to two typos."""
    key = ident_key(text)
    alternatives = [
        *named_queries(schema, text),
        tantivy.Query.boost_query(
            tantivy.Query.fuzzy_term_query(schema, "local", key, distance=2), 5.0
        ),
    ]
    for word in words:
        distance = 2 if len(word) >= 6 else 1 if len(word) >= FUZZY_MIN_LENGTH else 0
        alternatives.append(
            tantivy.Query.boost_query(
                tantivy.Query.term_query(schema, "label", word), BOOSTS["label"]
            )
        )
        alternatives.append(tantivy.Query.term_query(schema, "prefix", word, index_option="basic"))
        if distance:
            alternatives.append(
                tantivy.Query.fuzzy_term_query(schema, "label", word, distance=distance)
            )
    should = [(tantivy.Occur.Should, q) for q in alternatives]
    return tantivy.Query.boolean_query(should)


def of_kind(schema: tantivy.Schema, query: tantivy.Query, kind: str) -> tantivy.Query:
    """``query``, keeping the entities of one kind (a facet)."""
    return tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, query),
            (tantivy.Occur.Must, tantivy.Query.term_query(schema, "kind", kind)),
        ]
    )

"""Questions a journalist or a researcher asks of the graph, as SPARQL.

They are the examples of the query page and of the home page; each runs as
written against the ``/sparql`` endpoint (its prefixes are pre-declared).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    slug: str
    question: str
    query: str


EXAMPLES = (
    Example(
        "putin-claims",
        "Which claims does Putin make, with what modality, and in which words?",
        """SELECT ?claim ?modality ?quote WHERE {
  ?claim parley:claimant id:Putin ;
         parley:modality/rdfs:label ?modality ;
         parley:hasEvidence/oa:hasSelector/oa:exact ?quote .
} ORDER BY ?claim""",
    ),
    Example(
        "reported-speech",
        "Whose words reach the reader only through someone else, and through whom?",
        """SELECT ?claim ?claimant ?reporter ?publisher WHERE {
  ?claim parley:claimant/rdfs:label ?claimant ;
         parley:reportedBy/rdfs:label ?reporter .
  OPTIONAL { ?claim parley:publishedBy/rdfs:label ?publisher }
} ORDER BY ?claim""",
    ),
    Example(
        "istanbul",
        "What does the source claim about the Istanbul talks, and what does the record say?",
        """SELECT ?event ?date ?place ?claim ?claimant ?quote WHERE {
  ?e a parley:Event ; rdfs:label ?event .
  FILTER(CONTAINS(LCASE(?event), "istanbul"))
  OPTIONAL { ?e schema:startDate ?date }
  OPTIONAL { ?e parley:occurredAt/rdfs:label ?place }
  OPTIONAL { ?claim parley:aboutEvent ?e ;
                    parley:claimant/rdfs:label ?claimant ;
                    parley:hasEvidence/oa:hasSelector/oa:exact ?quote }
}""",
    ),
    Example(
        "eu-roles",
        "In which events did the EU take part, and in which roles?",
        """SELECT ?event ?role ?source WHERE {
  ?e parley:hasParticipation ?p ; rdfs:label ?event .
  ?p parley:participant id:EU ; parley:role/rdfs:label ?role .
  OPTIONAL { ?p dcterms:source/rdfs:label ?source }
} ORDER BY ?event""",
    ),
    Example(
        "contested",
        "Which checkable claims do the editors find contested in the public record, and why?",
        """SELECT ?claim ?claimant ?note WHERE {
  ?review parley:reviews ?claim ;
          parley:accuracy parley:accuracy-contested ;
          schema:reviewBody ?note .
  ?claim parley:claimant/rdfs:label ?claimant .
} ORDER BY ?claim""",
    ),
    Example(
        "attribution-differs",
        "Which attributed claims differ from the primary record of the claimant's words?",
        """SELECT ?claim ?claimant ?note WHERE {
  ?review parley:reviews ?claim ;
          parley:attribution parley:attribution-differs ;
          schema:reviewBody ?note .
  ?claim parley:claimant/rdfs:label ?claimant .
} ORDER BY ?claim""",
    ),
    Example(
        "disputes",
        "Who opposes whom on each question in dispute, and in which words?",
        """SELECT ?proposition ?supporter ?supportQuote ?opponent ?opposeQuote WHERE {
  ?p a parley:Proposition ; rdfs:label ?proposition .
  ?a parley:supportsProposition ?p ; parley:disputes ?b ;
     parley:claimant/rdfs:label ?supporter ;
     parley:hasEvidence/oa:hasSelector/oa:exact ?supportQuote .
  ?b parley:opposesProposition ?p ;
     parley:claimant/rdfs:label ?opponent ;
     parley:hasEvidence/oa:hasSelector/oa:exact ?opposeQuote .
} ORDER BY ?proposition ?supporter ?opponent""",
    ),
    Example(
        "not-checkable",
        "Which claims are not checkable (demands, predictions, opinions), and why?",
        """SELECT ?claim ?claimant ?modality ?type WHERE {
  ?claim a parley:NotCheckableClaim ;
         parley:claimant/rdfs:label ?claimant ;
         parley:modality/rdfs:label ?modality ;
         parley:claimType/rdfs:label ?type .
} ORDER BY ?claimant ?claim""",
    ),
    Example(
        "forward-looking",
        "Which claims are predictions or conditions, and whose are they?",
        """SELECT ?claim ?claimant ?modality WHERE {
  ?claim a parley:ForwardLookingClaim ;
         parley:claimant/rdfs:label ?claimant ;
         parley:modality/rdfs:label ?modality .
} ORDER BY ?modality ?claim""",
    ),
    Example(
        "unnamed-sources",
        "Which claims rest on unnamed sources ('Western analysts', 'Russian estimates')?",
        """SELECT ?claim ?claimant WHERE {
  ?claim a parley:UnnamedSourceClaim ; parley:claimant/rdfs:label ?claimant .
} ORDER BY ?claimant ?claim""",
    ),
    Example(
        "stances",
        "Who presents whom unfavourably, and how often?",
        """SELECT ?claimant ?target (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?claim parley:claimant/rdfs:label ?claimant ;
         parley:hasStance ?s .
  ?s parley:stanceValue parley:stance-unfavourable ;
     parley:stanceToward/rdfs:label ?target .
} GROUP BY ?claimant ?target ORDER BY DESC(?claims)""",
    ),
    Example(
        "own-vs-attributed",
        "How much of each source is its author's own assertion, and how much is attributed?",
        """SELECT ?source ?type (SUM(IF(?own, 1, 0)) AS ?authorsOwn)
       (SUM(IF(?own, 0, 1)) AS ?attributed) WHERE {
  ?claim parley:appearsIn ?s ; parley:claimant ?who ;
         parley:claimType/rdfs:label ?type .
  ?s rdfs:label ?source ; schema:author ?author .
  BIND(?who = ?author AS ?own)
} GROUP BY ?source ?type ORDER BY ?source ?type""",
    ),
    Example(
        "timeline",
        "Which dated events does the record hold, in order?",
        """SELECT ?start ?end ?event WHERE {
  ?e a parley:Event ; rdfs:label ?event ; schema:startDate ?start .
  OPTIONAL { ?e schema:endDate ?end }
} ORDER BY ?start""",
    ),
)

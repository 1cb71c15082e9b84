"""The one text toolkit: every rule for comparing text without a model lives here once.

``folding`` (case, accents, apostrophes), ``stemming`` (Snowball English, as tantivy runs it),
``stopwords`` (named sets by what they are left out of), ``numbers`` (number words, numerals),
``words`` (the words of a question or sentence with offsets), ``sentences`` (sentence spans),
``lists`` (the list-item marker) and ``index_terms`` (the lexical index's analysis). The lexical
index, the chunker, follow-up rewriting, the LLM support check and the extractive reader use
them, so "international" is the same term everywhere. ``evals.metrics`` keeps its own rules on
purpose: a judge must not share the judged system's.
"""

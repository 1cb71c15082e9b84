"""Words that carry no meaning for matching, in named sets by what they are left out of.

Folded forms (see ``folding.fold``), English and French, since the corpus and the questions
come in both. Each set says what it is for; a user of several takes their union.
"""

from __future__ import annotations

STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could did do does for from had has have how i if in
    into is it its of on or over than that the their them then there these they this those to
    under was we were what when where which while who whom whose why will with would you your
    about also any after before between both each more most other some such only own same so
    should through until up very s t
    au aux avec ce ces comment dans de des du elle en est et eux il ils je la le les leur leurs
    lui ma mais me meme mes moi mon ne nos notre nous ou par pas pour qu que quel quelle quels
    quelles qui sa se ses son sont sur ta te tes toi ton tu un une vos votre vous c d j l m n
    y ete etait quoi dont cette cet
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
"""Function words: left out of the lexical index's terms and of every comparison of words."""

WORDING = frozenset(
    """
    being doing done having itself theirs yours he she his her him our us my all just may might
    must shall one ones many much name named called kind type say said give given get got make
    made use used like well here out off onto per via no nor not combien quand
    """.split()  # noqa: SIM905
)
"""How a question or a sentence is worded rather than what it is about ("which one is named",
"what kind of"): left out when the words of a question and a passage are compared
(``words.Word.is_content``), kept in the index, where a passage's "May" or "One" may matter
and BM25 already weighs common words down."""

SOURCE_TALK = frozenset(
    """
    above according again against am answer based because below document documents down during
    few further hers herself himself known myself once one's ours ourselves passage passages
    question says states text themselves too yourself yourselves
    """.split()  # noqa: SIM905
)
"""The words an LLM uses to talk about its sources ("according to the passage"), plus a few
more function words: also left out when an LLM's sentence is checked against a passage."""

QUESTION_WORDS = frozenset(
    """
    what which who whom whose when where why how many much quel quelle quels quelles qui quand
    combien comment
    """.split()  # noqa: SIM905
)
"""The words that make a question a question: they say nothing the search could use, so a
question left with only these needs the conversation's context (``app.followup``)."""

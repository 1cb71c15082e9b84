"""Finding the passages that answer a question: hybrid dense + BM25 search over the index.

Entry points: ``retriever.hybrid.HybridRetriever.open(settings).search(question)`` and, for
LangChain chains, ``retriever.langchain.CitewiseRetriever``. Importing this package loads
nothing heavy.
"""

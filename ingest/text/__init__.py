"""The one text toolkit: folding, words, stemming, stop words, sentences, list items and numbers.

Every part of citewise that compares text without a model (the lexical index, follow-up
rewriting, the LLM support check, the chunker) takes its rules from here, so they agree.
"""

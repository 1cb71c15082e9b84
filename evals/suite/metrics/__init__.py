"""Offline, deterministic metrics: retrieval, answers, citations, abstention, latency, SQuAD."""

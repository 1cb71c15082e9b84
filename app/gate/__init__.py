"""The answer gate: the reader's evidence, the calibrated refusal model, the kind of text and
the decision whether the passages may be answered from, shared by every backend."""

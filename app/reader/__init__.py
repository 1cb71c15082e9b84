"""The reader: a small model that finds the answer span in passages, or says there is none."""

"""The eval suite: `citewise eval` runs the bundled dataset (and a SQuAD sample) and scores it."""

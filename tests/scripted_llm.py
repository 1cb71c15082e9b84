"""An OpenAI-compatible chat server on loopback that streams a reply the test writes.

For the one fault a real model cannot be made to commit on demand: an answer that invents what
the passages do not say. Everything else about the exchange is real: the LangChain client, the
HTTP request, server-sent events streamed a word at a time. Tests of everything else use the
real llama.cpp server (``llama_server.py``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

MODEL = "scripted"


class ScriptedLLM:
    """The server: set ``reply`` before asking; ``requests`` holds every chat request's body."""

    def __init__(self) -> None:
        self.reply = ""
        self.requests: list[dict[str, object]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet: pytest shows the test's own output."""

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self.send_error(404)
                    return
                self._send_json({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self.send_error(404)
                    return
                request = json.loads(body)
                scripted.requests.append(request)
                if request.get("stream"):
                    self._stream(scripted.reply)
                else:
                    self._send_json(_completion(scripted.reply))

            def _send_json(self, data: object) -> None:
                payload = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, reply: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(reply):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler


def _chunks(reply: str) -> Iterator[dict[str, object]]:
    """The reply a word at a time, as chat.completion.chunk events, then the stop event."""
    for word in re.findall(r"\S+\s*|\s+", reply):
        yield _chunk({"content": word}, None)
    yield _chunk({}, "stop")


def _chunk(delta: dict[str, str], finish: str | None) -> dict[str, object]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(reply: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
            }
        ],
    }


@pytest.fixture(name="scripted_llm")
def scripted_llm_fixture() -> Iterator[ScriptedLLM]:
    """A fresh scripted server for one test."""
    server = ScriptedLLM()
    server.start()
    try:
        yield server
    finally:
        server.stop()

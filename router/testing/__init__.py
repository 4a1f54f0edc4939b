"""Test fakes: an HTTP server speaking the Ollama and OpenAI protocols, and an in-memory provider.

`fake_llm` holds the public FakeLLM API, `server` its state and shared HTTP plumbing,
`ollama_wire` / `openai_wire` the two protocol encoders, `images` the image checks both apply,
`scripted` the in-memory provider.
"""
from __future__ import annotations

from router.testing.fake_llm import FakeLLM
from router.testing.scripted import ScriptedProvider
from router.testing.server import DEFAULT_MODELS, RecordedRequest
from router.testing.text import fake_embedding, tokenize

__all__ = ["DEFAULT_MODELS", "FakeLLM", "RecordedRequest", "ScriptedProvider", "fake_embedding", "tokenize"]

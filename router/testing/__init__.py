"""Test fakes: an HTTP server speaking the Ollama and OpenAI protocols, and an in-memory provider.

`fake_llm` holds the public FakeLLM API, `server` its state and shared HTTP plumbing,
`ollama_wire` / `openai_wire` the two protocol encoders, `images` and `tools` the checks both apply
(and the scripted tool calls), `scripted` the in-memory provider.

Scripting FakeLLM (`async with FakeLLM() as llm:`; Ollama at `llm.url`, OpenAI at `llm.openai_url`):

    llm.reply("one", "two")                       # two text replies, one per chat request, in order
    llm.reply_tool_call("web_search", {"query": "hryvnia rate"})        # a reply with one call, no text
    llm.reply_tool_call("read_page", {"url": "https://x"}, text="Reading.", id="c7")  # text, then a call
    llm.reply(tool_calls=[("web_search", {"query": "a"}), ("read_page", {"url": "u"})])  # two calls, one reply
    llm.reply("Let me look.", tool_calls=[ScriptedCall("web_search", {"query": "a"})])  # text then calls
    llm.reply(Reply.of("text", [("web_search", {"query": "a"})]))       # the same as a value
    llm.reply_tool_call("web_search", '{"query": ')                     # str arguments go out verbatim:
                                                  # bad JSON (OpenAI) / a string, not an object (Ollama)
    llm.responder = lambda messages: ...          # when nothing is queued: messages → str or Reply
    llm.fail("500"), llm.emit_think = True        # failures and <think> blocks apply to tool replies too

Calls without an id get `call_1`, `call_2`, … in the order they are sent. How they go out, as real servers
send them: Ollama NDJSON streams the text, then each call whole in a chunk of its own (`message.tool_calls`,
arguments as an object; `llm.ollama_unstreamed_tools = True` puts text and calls in the one done chunk, as
Ollama < 0.8 did); OpenAI SSE streams `delta.tool_calls` fragments by index (id, type and name first, then
the arguments' JSON in 8-character pieces) and ends with finish_reason "tool_calls". A request that is not
streamed gets the whole message (`tool_calls` beside the content). Usage counts the calls' words as output.

Tool capability: a model has tools when its `capabilities` in the model table list "tools" (/api/show reports
them); in DEFAULT_MODELS `qwen3:8b` and `gpt-4o-mini` have tools, `llava:7b` and `gemma2-9b-it` do not. A
request offering tools to a model without them gets a 400, as do malformed tools or tool turns (an OpenAI
`tool` turn whose tool_call_id no earlier assistant turn called; Ollama arguments that are not an object).

Speech (OpenAI's audio API under `llm.openai_url`):

    llm.transcripts("Привіт", "Добрий день", language="uk")  # what the next two transcriptions hear
    llm.default_transcript = "..."                # heard when nothing is queued
    llm.audio_delay = 0.5                         # seconds each audio request takes (a slow API)
    llm.transcription_requests()[0].json["model"], .json["language"], .json["response_format"], .files["file"]
    llm.speech_requests()[0].json["input"]        # /v1/audio/speech: model, voice, input, response_format

A transcription upload must decode as audio (PyAV), or the answer is a 400 as from a real server; `json` answers
{"text"} (plus scripted language/duration), `verbose_json` and `text` are answered too. Speech answers a real
OGG/Opus file (response_format "opus"; "wav" too) of a tone len(input)/15 seconds long. A model listed in the
model table without the "transcription"/"speech" capability gets a 400; an unlisted name is accepted.
`llm.fail(...)` applies to audio requests as to chat and embeddings.

Parallel slots, as Ollama's OLLAMA_NUM_PARALLEL (one set for the whole server, chat requests of either protocol):

    FakeLLM(parallel=2) or llm.parallel = 2     # two answers at once, the rest wait in arrival order (None: any)
    llm.pause(); ...; llm.resume()              # requests take slots but answer only after resume: busy on demand
    llm.slots.in_flight, .max_in_flight, .waited, .waiting   # now, the most at once, how many had to wait, in line

Checking what the model received: `llm.chat_requests()` (RecordedRequest, `.json` is the body as sent),
`FakeLLM.tools_of(record)` → names of the tools offered, `FakeLLM.tool_results_of(record)` → contents of the
tool turns in order. `record.first_at` / `record.done_at` (time.monotonic) are when the answer's first and last
chunk were written: the model's first token and its end, for benchmarks.

ScriptedProvider takes the same `Reply` values in `replies` (with str and exceptions); its calls leave with the
last delta, and a str `arguments` that is not a JSON object raises BadToolCall. Give it
`capabilities=frozenset({"completion", "tools"})` to take tool requests.
"""
from __future__ import annotations

from router.testing.audio_wire import Heard
from router.testing.fake_llm import FakeLLM
from router.testing.scripted import ScriptedProvider
from router.testing.server import DEFAULT_MODELS, RecordedRequest
from router.testing.text import fake_embedding, tokenize
from router.testing.tools import Reply, ScriptedCall

__all__ = ["DEFAULT_MODELS", "FakeLLM", "Heard", "RecordedRequest", "Reply", "ScriptedCall", "ScriptedProvider",
           "fake_embedding", "tokenize"]

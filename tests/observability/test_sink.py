"""What the Prometheus sink makes of the reports: voice seconds, which calls have reply stages, in-flight counts."""
from __future__ import annotations

from ops.metrics import PrometheusMetrics


def value(m: PrometheusMetrics, name: str, **labels: str) -> float:
    return m.registry.get_sample_value(name, labels) or 0.0


def test_speech_calls_count_seconds_heard_and_spoken_and_have_no_reply_stages() -> None:
    m = PrometheusMetrics()
    for task, seconds, outcome in [("stt", 3.5, "ok"), ("stt", 2.0, "bad_audio"), ("tts", 1.25, "ok"),
                                   ("embed", 0.0, "ok")]:
        m.call_started("local", "whisper")
        m.call_ended("local", "whisper", task=task, outcome=outcome, local=True, first_token=None, total=0.4,
                     audio_seconds=seconds)
    assert value(m, "dagi_voice_seconds_total", direction="heard", provider="local") == 3.5  # the bad one unheard
    assert value(m, "dagi_voice_seconds_total", direction="spoken", provider="local") == 1.25
    assert value(m, "dagi_stage_seconds_count", stage="model_total") == 0
    assert value(m, "dagi_model_in_flight", provider="local", model="whisper") == 0
    assert value(m, "dagi_model_calls_total", provider="local", model="whisper", task="stt", outcome="bad_audio",
                 local="true") == 1


def test_a_failed_stream_has_a_first_token_but_no_model_total() -> None:
    m = PrometheusMetrics()
    m.call_started("api", "gpt")
    assert value(m, "dagi_model_in_flight", provider="api", model="gpt") == 1
    m.call_ended("api", "gpt", task="chat", outcome="cut", local=False, first_token=0.2, total=3.0, audio_seconds=0)
    assert value(m, "dagi_stage_seconds_count", stage="model_first_token") == 1
    assert value(m, "dagi_stage_seconds_count", stage="model_total") == 0  # a cut answer is no model total
    assert value(m, "dagi_model_calls_total", provider="api", model="gpt", task="chat", outcome="cut",
                 local="false") == 1

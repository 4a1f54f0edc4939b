"""An automatic search inside a chat turn takes the plain path alone: one model call, and CrewAI is not needed."""
from __future__ import annotations

from tests.agents.search.conftest import PERSONA, Searching


async def test_without_the_crew_one_model_call_answers_from_the_pages_read(searching: Searching) -> None:
    searching.llm.reply("EcoMiner opened a solar data centre in Lviv [1].")
    answer = await searching.research().answer(
        "What did EcoMiner open in Lviv?", PERSONA, language="en", user_id=7, chat_id=70, bot="dagi",
        local_only=False, crew=False)
    assert answer.path == "plain" and answer.model_calls == 1 and not answer.partial
    assert answer.text == "EcoMiner opened a solar data centre in Lviv [1]."
    assert answer.sources and answer.sources[0].n == 1
    assert [searching.llm.tools_of(r) for r in searching.llm.chat_requests()] == [[]], "no tools offered"


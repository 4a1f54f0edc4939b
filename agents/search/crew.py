"""The crew: a researcher with web_search and read_page, then a writer in the persona's voice citing the pages read."""
from __future__ import annotations

import time

from crewai import Agent, Crew, CrewOutput, Process, Task
from crewai.tasks.task_output import TaskOutput

from agents.search import prompts
from agents.search.llm import RouterLLM
from agents.search.run import SearchRun
from agents.search.tools import ReadPageTool, WebSearchTool

RESEARCH_ITERATIONS = 3  # model calls before CrewAI forces the researcher's final answer; small models loop beyond it
RESEARCH_TEMPERATURE = 0.2
# Every agent: max_retry_limit=0 (a broken reply is for our guards to retry once, not CrewAI to repeat),
# respect_context_window=False (no summarising calls behind the router's back), cache=False (repeats reach our tools).


def build(run: SearchRun, *, language: str, strict: bool) -> Crew:
    """A sequential crew for one search; `language` is the answer language's English name ("Ukrainian")."""
    persona = run.persona
    researcher = Agent(
        role="Web researcher",
        goal="Find and read the few web pages that answer the user's question",
        backstory="You search the web and read pages; another writer answers the user from what you read.",
        tools=[WebSearchTool.over(run), ReadPageTool.over(run)],
        llm=RouterLLM.over(run, temperature=RESEARCH_TEMPERATURE, max_tokens=256),
        max_iter=RESEARCH_ITERATIONS, verbose=False, allow_delegation=False, max_retry_limit=0,
        respect_context_window=False, cache=False)
    writer = Agent(
        role=persona.name,
        goal="Answer the user's question from the web pages read for it, citing them",
        backstory=persona.system_prompt,
        llm=RouterLLM.over(run, temperature=persona.temperature, max_tokens=persona.max_tokens, stage="writing"),
        max_iter=1, verbose=False, allow_delegation=False, max_retry_limit=0, respect_context_window=False,
        cache=False)
    research = Task(
        description=prompts.research_task(run.question, max_pages=run.max_pages, strict=strict, read=run.pages),
        expected_output=prompts.RESEARCH_OUTPUT, agent=researcher)
    write = Task(description="(the pages are added when the research ends)",
                 expected_output=prompts.write_output(language), agent=writer,
                 context=[])  # the writer gets the pages themselves, not the researcher's retelling of them

    def pages_to_writer(_: TaskOutput) -> None:
        """Research done: the writer's task gets the question and every page read, quoted and numbered."""
        write.description = prompts.write_task(run.question, run.pages, language=language, persona=persona.name,
                                               strict=strict)

    research.callback = pages_to_writer
    return Crew(agents=[researcher, writer], tasks=[research, write], process=Process.sequential,
                verbose=False, tracing=False, memory=False, cache=False, planning=False)


def kickoff(run: SearchRun, *, language: str, strict: bool) -> str:
    """Run the crew in the calling (worker) thread and return the writer's raw text; CrewAI's own time is counted."""
    started, waited = time.monotonic(), run.waited
    try:
        output = build(run, language=language, strict=strict).kickoff()
        if not isinstance(output, CrewOutput):  # a streaming kickoff, which this crew never asks for
            raise TypeError(f"unexpected kickoff output {type(output).__name__}")
        return output.raw
    finally:
        run.crew_time += (time.monotonic() - started) - (run.waited - waited)

"""The researcher's CrewAI tools: web_search and read_page over web.WebSearch and web.PageReader."""
from __future__ import annotations

from typing import Self

from crewai.tools import BaseTool
from pydantic import BaseModel, Field, PrivateAttr

from agents.search import browse
from agents.search.run import SearchRun


class SearchArgs(BaseModel):
    """web_search's arguments."""

    query: str = Field(description="A short web search query, a few words")


class ReadArgs(BaseModel):
    """read_page's arguments."""

    url: str = Field(description="The URL of a search result (or its number in the results)")


class _RunTool(BaseTool):
    """A tool bound to one search run: its calls bridge to the bot's loop and are recorded there."""

    name: str = ""  # each tool names and describes itself
    description: str = ""
    _search: SearchRun = PrivateAttr()

    @classmethod
    def over(cls, run: SearchRun) -> Self:
        """The tool for one search."""
        tool = cls()
        tool._search = run
        return tool


class WebSearchTool(_RunTool):
    """Searches the web; the hits are not sources until read."""

    name: str = "web_search"
    description: str = "Search the web. Returns numbered results: title, URL and snippet. Read a page to use it."
    args_schema: type[BaseModel] = SearchArgs

    def _run(self, query: str) -> str:
        """Called in CrewAI's thread: the search itself runs on the bot's event loop."""
        return self._search.bridge(browse.search(self._search, query))


class ReadPageTool(_RunTool):
    """Reads one result page; only pages read this way may be cited."""

    name: str = "read_page"
    description: str = ("Read a web page found by web_search and return its text with its number [n]. "
                        "Only pages read with this tool may be cited.")
    args_schema: type[BaseModel] = ReadArgs

    def _run(self, url: str) -> str:
        """Called in CrewAI's thread: the page is fetched on the bot's event loop."""
        return self._search.bridge(browse.read(self._search, url))

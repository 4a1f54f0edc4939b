"""Personas as data: the models behind config/agents.yaml and their loader."""

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from base import Problem, read_yaml
from i18n import resolve

_SEP = re.escape(",:!—–-")  # what may follow a persona's name at the start of a message
NonEmpty = Annotated[str, Field(min_length=1)]
SHORT_PROMPT_CHARS = 400  # longer prompts are what Gemma 3 270M repeats back instead of answering
TOOLS = ("web_search",)  # what `tools:` may name: the tools the bot knows how to run


def _norm(name: str) -> str:
    """A name for comparison: case-folded, whitespace collapsed."""
    return " ".join(name.split()).casefold()


def _error(path: str, msg: str) -> PydanticCustomError:
    """A validation error that carries its own key path (for checks made above the field)."""
    return PydanticCustomError("config", "{msg}", {"msg": msg, "path": path})


class LocalizedText(BaseModel):
    """A short text in Ukrainian and, optionally, English."""
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    uk: NonEmpty
    en: str | None = None

    def get(self, lang: str | None = None) -> str:
        """The text in the language i18n resolves `lang` to (`en-US` → en, `ru` → uk), else the Ukrainian one."""
        return {"uk": self.uk, "en": self.en}.get(resolve(lang)) or self.uk


class ShortPrompt(LocalizedText):
    """A persona's prompt for tiny models, in both languages: a few plain sentences they will not echo back."""
    en: NonEmpty  # required here: a tiny model answers in its prompt's language

    @field_validator("uk", "en")
    @classmethod
    def _short(cls, text: str) -> str:
        """Tiny models repeat long instructions verbatim instead of following them."""
        if len(text) > SHORT_PROMPT_CHARS:
            raise ValueError(f"is {len(text)} characters; a tiny model echoes long instructions back, keep it to "
                             f"two or three sentences (at most {SHORT_PROMPT_CHARS})")
        return text


class LanguagePolicy(BaseModel):
    """Which language a persona answers in."""
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    default: str = Field("uk", pattern=r"^[a-z]{2,3}$")
    follow_user: bool = True


class Persona(BaseModel):
    """One agent persona: display data, system prompt and model settings."""
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # filled from the id under `agents`
    name: NonEmpty
    aliases: tuple[NonEmpty, ...] = ()
    emoji: str = ""
    title: LocalizedText
    description: LocalizedText
    greeting: LocalizedText
    system_prompt: NonEmpty
    # What models marked `tiny` in router.yaml get instead; absent = name, title and description.
    embedded_prompt: ShortPrompt | None = None
    # What the persona does with a photo sent without a question (it looks for its own domain in it).
    photo_prompt: LocalizedText = LocalizedText(
        uk="Опиши, що на цьому фото, і що в ньому важливе для твоєї ролі.",
        en="Describe what is in this photo and what in it matters for your role.")
    route: NonEmpty = "chat"
    temperature: float = Field(0.5, ge=0, le=2)
    max_tokens: int | None = Field(None, gt=0)
    history_tokens: int = Field(3000, ge=0)
    language: LanguagePolicy = LanguagePolicy()
    local_only: bool = False
    knowledge: tuple[NonEmpty, ...] = ()
    tools: tuple[NonEmpty, ...] = ()
    topics: tuple[NonEmpty, ...] = ()  # word stems that mark a question as this persona's (hand-off)
    hands_off_to: tuple[NonEmpty, ...] = ()  # persona ids this one passes matching questions to
    handoff_threshold: int = Field(1, ge=1)  # topic hits a specialist needs before it takes over

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, tools: tuple[str, ...]) -> tuple[str, ...]:
        """Only tools the bot can run, each once: a typo would otherwise switch a tool off without a word."""
        for tool in tools:
            if tool not in TOOLS:
                close = difflib.get_close_matches(tool, TOOLS, n=1)
                raise ValueError(f"{tool!r} is not a tool" + (f"; did you mean {close[0]!r}?" if close else "")
                                 + f" (known tools: {', '.join(TOOLS)})")
        return tuple(dict.fromkeys(tools))

    @property
    def searches_web(self) -> bool:
        """The persona may search the web on its own when a question needs fresh facts."""
        return "web_search" in self.tools

    @field_validator("topics")
    @classmethod
    def _clean_topics(cls, topics: tuple[str, ...]) -> tuple[str, ...]:
        """Lowercase, without repeats; a stem must keep at least two characters before an optional `$`."""
        clean = tuple(dict.fromkeys(" ".join(x.split()).lower() for x in topics))
        for stem in clean:
            if len(stem.removesuffix("$")) < 2 or "$" in stem.removesuffix("$"):
                raise ValueError(f"{stem!r} is too short or has `$` inside; a stem has at least two "
                                 "characters and `$` only at the end (whole word)")
        return clean

    def short_prompt(self, lang: str | None = None) -> str:
        """The prompt for tiny models in `lang`; without `embedded_prompt`, built from the persona's own data."""
        if self.embedded_prompt is not None:
            return self.embedded_prompt.get(lang)
        return f"{self.name} — {self.title.get(lang)}. {self.description.get(lang)}"

    @property
    def names(self) -> tuple[str, ...]:
        """Everything a user may call this persona by: id, display name and aliases."""
        return (self.key, self.name, *self.aliases)


class AgentsConfig(BaseModel):
    """All personas plus the one a new chat starts with."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    agents: dict[str, Persona] = Field(min_length=1)
    default_agent: str  # declared after `agents` so its validator can see them
    _patterns: list[tuple[re.Pattern[str], Persona]] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _fill_keys(cls, data: Any) -> Any:
        """Copy each persona's id (its key under `agents`) into its `key` field."""
        if isinstance(data, dict) and isinstance(agents := data.get("agents"), dict):
            agents = {k: {"key": k, **v} if isinstance(v, dict) else v for k, v in agents.items()}
            return {**data, "agents": agents}
        return data

    @field_validator("agents")
    @classmethod
    def _unique_names(cls, agents: dict[str, Persona]) -> dict[str, Persona]:
        """Each id matches its persona; no name or alias belongs to two personas; hand-offs are valid."""
        owner: dict[str, str] = {}
        for key, persona in agents.items():
            if persona.key != key:
                raise _error(f"agents.{key}.key", f"must equal the persona id {key!r}; delete this line")
            for name in persona.names:
                other = owner.setdefault(_norm(name), key)
                if other != key:
                    field = "aliases" if name in persona.aliases else "name"
                    raise _error(f"agents.{key}.{field}", f"{name!r} is already a name or alias of "
                                 f"{other!r}; names and aliases must be unique across personas")
            _check_handoffs(key, persona, agents)
        return agents

    @field_validator("default_agent")
    @classmethod
    def _default_exists(cls, value: str, info: ValidationInfo) -> str:
        """The default persona must be one of `agents`."""
        agents = info.data.get("agents")
        if agents is not None and value not in agents:
            raise _error("default_agent", f"{value!r} is not a persona id; use one of: {', '.join(agents)}")
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Index names for lookups; longest first so "Green Food" wins over a shorter "Green"."""
        pairs = sorted(((n, p) for p in self.agents.values() for n in p.names), key=lambda np: -len(np[0]))
        for name, persona in pairs:
            words = r"\s+".join(map(re.escape, name.split()))
            # The name, then one run of punctuation: "Helion — -5°C?" keeps its minus sign.
            pattern = re.compile(rf"\s*{words}(?=$|[\s{_SEP}])\s*[{_SEP}]*\s*", re.IGNORECASE)
            self._patterns.append((pattern, persona))

    def replace_with(self, other: "AgentsConfig") -> None:
        """Take a reloaded file's personas in place, so every holder of this object sees them at once."""
        # Frozen for callers; a reload is the one sanctioned change. Fields and the name index swap together.
        object.__setattr__(self, "__dict__", dict(other.__dict__))
        object.__setattr__(self, "__pydantic_fields_set__", set(other.__pydantic_fields_set__))
        object.__setattr__(self, "__pydantic_private__", dict(other.__pydantic_private__ or {}))

    @property
    def default(self) -> Persona:
        """The persona a new chat starts with."""
        return self.agents[self.default_agent]

    def get(self, key: str) -> Persona | None:
        """The persona with this id, name or alias (case-insensitive), or None."""
        return next((p for p in self.agents.values() if _norm(key) in map(_norm, p.names)), None)

    def match_alias(self, text: str) -> tuple[Persona, str] | None:
        """If `text` starts with a persona's name ("Helion, ..."), that persona and the rest."""
        for pattern, persona in self._patterns:
            if match := pattern.match(text):
                return persona, text[match.end():].strip()
        return None


def _check_handoffs(key: str, persona: Persona, agents: dict[str, Persona]) -> None:
    """`hands_off_to` names other personas, once each, and every one of them has topics to match."""
    path = f"agents.{key}.hands_off_to"
    for target in persona.hands_off_to:
        if target == key:
            raise _error(path, f"{key!r} cannot hand questions off to itself; remove it")
        if target not in agents:
            raise _error(path, f"{target!r} is not a persona id; use one of: {', '.join(agents)}")
        if persona.hands_off_to.count(target) > 1:
            raise _error(path, f"{target!r} is listed twice; keep one")
        if not agents[target].topics:
            raise _error(path, f"{target!r} has no `topics:`, so no question could go to it; add "
                         f"topics to agents.{target} or remove it here")


def _explain(err: ErrorDetails) -> Problem:
    """One validation error as its key path and message, with a hint when the fix is obvious."""
    loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
    path = (err.get("ctx") or {}).get("path")  # set by _error for checks made above the field
    msg = err["msg"]
    if kind == "extra_forbidden":
        model: Any = Persona if loc[0] == "agents" and len(loc) > 2 else AgentsConfig
        for part in loc[2:-1] if model is Persona else loc[:-1]:  # walk down to the unknown key's parent
            model = getattr(model, "model_fields", {}).get(part) and model.model_fields[part].annotation
            # An optional section (`embedded_prompt: ShortPrompt | None`): the model inside the union.
            model = next((m for m in get_args(model) if hasattr(m, "model_fields")), model)
        allowed = [k for k in getattr(model, "model_fields", {}) if k != "key"]
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        msg += f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        msg += f"; add `{loc[-1]}:`"
    elif kind == "string_pattern_mismatch" and loc[-1] == "key":
        msg += "; persona ids are lowercase slugs like `helion`: rename this block"
    elif kind != "config" and (value is None or isinstance(value, (str, int, float, bool))):
        msg += f" (got {str(value)[:60]!r})" if isinstance(value, str) else f" (got {value!r})"
    return Problem(tuple(path.split(".")) if path else loc, msg)


def load_personas(path: Path) -> AgentsConfig:
    """Read and validate the personas file; every problem becomes a ConfigError naming file and key."""
    file = read_yaml(path, expected="a mapping with `default_agent:` and `agents:` at the top level")
    # No line numbers: each message ends with its fix, and the key path finds the spot in this short file.
    return file.validate(AgentsConfig, explain=_explain, show_line=False)

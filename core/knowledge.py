"""Topics, languages and guidelines: the knowledge base's own vocabulary."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import string
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SOURCE_LANGUAGE = "en"

# The ISO 639-1 codes a guideline may be translated into, in the order shown.
TARGET_LANGUAGE_CODES: tuple[str, ...] = (
    "es", "fr", "de", "pt", "it", "ar", "hi", "bn", "ur", "zh",
    "ja", "ko", "ru", "tr", "sw", "id", "vi", "fa", "tl",
)  # fmt: skip

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"

DISCLAIMER = (
    "This guideline is general first-aid information, not medical advice. "
    "In an emergency, call your local emergency number at once. Follow the "
    "instructions of emergency services and trained professionals."
)


class Topic(BaseModel):
    """One entry of the curriculum."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    category: str = Field(min_length=1)
    scope: str = Field(min_length=1)


class Language(BaseModel):
    """A target language by its ISO 639-1 code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z]{2}$")
    name: str = Field(min_length=1)
    native_name: str = Field(min_length=1)
    direction: Literal["ltr", "rtl"] = "ltr"


class Step(BaseModel):
    """One numbered action a first-aider takes."""

    instruction: str
    detail: str = ""


class SpecialGroup(BaseModel):
    """Advice that differs for a group: infants, pregnancy, the elderly..."""

    group: str
    advice: str


class GuidelineContent(BaseModel):
    """What the model writes: the structured sections of one guideline."""

    title: str
    summary: str
    call_emergency_when: list[str]
    steps: list[Step]
    do: list[str]
    dont: list[str]
    warning_signs: list[str]
    special_groups: list[SpecialGroup] = Field(default_factory=list)


class Provenance(BaseModel):
    """Who wrote a guideline, when, and what it cost."""

    provider: str
    model: str
    generated_at: datetime
    tokens_in: int = 0
    tokens_out: int = 0
    simulated: bool = False


class Guideline(BaseModel):
    """A guideline as the knowledge base keeps it: content plus its record."""

    topic: str
    language: str
    content: GuidelineContent
    disclaimer: str = DISCLAIMER
    provenance: Provenance
    source_hash: str | None = Field(
        default=None,
        description="For a translation: content_hash of the English guideline.",
    )

    @property
    def key(self) -> tuple[str, str]:
        return (self.topic, self.language)


def content_hash(guideline: Guideline) -> str:
    """A stable fingerprint of a guideline's content; translations record it."""
    canonical = guideline.content.model_dump_json()
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# --- Loading the assets ----------------------------------------------------

_Model = TypeVar("_Model", bound=BaseModel)
_EntryCheck = Callable[[_Model], str | None]

# The placeholders each shipped prompt must use, no more and no fewer.
PROMPT_PLACEHOLDERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "guideline": frozenset({"title", "category", "scope"}),
        "translate": frozenset({"language_name", "native_name", "guideline_json"}),
    }
)


class AssetError(ValueError):
    """An asset file that cannot be used; the message is one line naming it.

    The message reads `<file>: entry <n> (<key> '<value>'): <reason>`, with
    entries counted from 1 and the file shown relative to the repository.
    """

    def __init__(self, path: Path, reason: str, entry: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.entry = entry
        parts = [_shown_path(path), entry, reason]
        message = ": ".join(part for part in parts if part)
        super().__init__(re.sub(r"\s*[\r\n]+\s*", " ", message))

    def __reduce__(self) -> tuple[type[AssetError], tuple[Path, str, str | None]]:
        # Keeps the error intact when it crosses from a worker process.
        return (type(self), (self.path, self.reason, self.entry))


def _shown_path(path: Path) -> str:
    """The path relative to the repository when it lies inside it."""
    resolved = path.resolve()
    if resolved.is_relative_to(ASSETS_DIR.parent):
        return resolved.relative_to(ASSETS_DIR.parent).as_posix()
    return str(path)


def _read_text(path: Path) -> str:
    """The file's text, or an AssetError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssetError(path, "file not found") from None
    except UnicodeDecodeError:
        raise AssetError(path, "not valid UTF-8 text") from None
    except OSError as exc:
        raise AssetError(path, f"cannot be read ({exc.strerror})") from None


def _read_entries(path: Path, what: str) -> list[Any]:
    """The non-empty JSON list an asset file holds."""
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise AssetError(path, f"invalid JSON at {where}: {exc.msg}") from None

    if not isinstance(data, list) or not data:
        raise AssetError(path, f"expected a non-empty JSON list of {what}")
    return data


def _entry_label(number: int, raw: object, key: str) -> str:
    """How an entry is named in messages: `entry 3 (slug 'burns')`."""
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return f"entry {number}"
    if len(value) > 40:
        value = value[:37] + "..."
    return f"entry {number} ({key} {value!r})"


def _validation_reason(error: ValidationError) -> str:
    """The first problem pydantic found, as a short phrase."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        reason = f"unknown field {field!r}"
    elif first["type"] == "missing":
        reason = f"missing field {field!r}"
    elif first["type"] == "model_type":
        reason = "expected a JSON object"
    else:
        reason = f"field {field!r}: {first['msg']}"

    others = error.error_count() - 1
    return f"{reason} (and {others} more)" if others else reason


def _parse_entries(
    path: Path, what: str, model: type[_Model], key: str, check: _EntryCheck[_Model]
) -> list[_Model]:
    """Validate every entry of an asset list; keys must be unique."""
    items: list[_Model] = []
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(_read_entries(path, what), start=1):
        label = _entry_label(number, raw, key)
        try:
            item = model.model_validate(raw)
        except ValidationError as exc:
            raise AssetError(path, _validation_reason(exc), label) from None

        value = getattr(item, key)
        problem = check(item)
        if problem is None and value in first_seen:
            problem = f"duplicate {key} (first used by entry {first_seen[value]})"
        if problem is not None:
            raise AssetError(path, problem, label)
        first_seen[value] = number
        items.append(item)
    return items


def _no_check(item: BaseModel) -> str | None:
    return None


def _target_language_problem(language: Language) -> str | None:
    """Why a language cannot be a translation target, if it cannot."""
    if language.code == SOURCE_LANGUAGE:
        return f"'{SOURCE_LANGUAGE}' is the source language, not a translation target"
    if language.code not in TARGET_LANGUAGE_CODES:
        supported = ", ".join(TARGET_LANGUAGE_CODES)
        return f"not one of the supported language codes ({supported})"
    return None


def load_curriculum(path: Path | None = None) -> list[Topic]:
    """The topics to write guidelines for, from assets/curriculum.json."""
    if path is None:
        return list(_shipped_curriculum())
    return _parse_entries(path, "topics", Topic, "slug", _no_check)


def load_languages(path: Path | None = None) -> list[Language]:
    """The translation target languages, from assets/languages.json."""
    if path is None:
        return list(_shipped_languages())
    return _parse_entries(path, "languages", Language, "code", _target_language_problem)


def topic_by_slug(path: Path | None = None) -> Mapping[str, Topic]:
    """The curriculum's topics keyed by slug, in curriculum order."""
    if path is None:
        return _shipped_topic_index()
    return MappingProxyType({topic.slug: topic for topic in load_curriculum(path)})


def check_topics(slugs: list[str] | None) -> list[str] | None:
    """The slugs as given, or a ValueError naming the first unknown one."""
    known = topic_by_slug()
    for slug in slugs or []:
        if slug not in known:
            raise ValueError(f"unknown topic {slug!r}; see assets/curriculum.json")
    return slugs


def language_by_code(path: Path | None = None) -> Mapping[str, Language]:
    """The target languages keyed by ISO 639-1 code, in file order."""
    if path is None:
        return _shipped_language_index()
    return MappingProxyType({lang.code: lang for lang in load_languages(path)})


def load_prompt(name: str, directory: Path | None = None) -> string.Template:
    """The prompt template `<name>.txt`; shipped prompts are checked and cached."""
    if directory is None:
        return _shipped_prompt(name)
    path = directory / f"{name}.txt"
    if not re.fullmatch(r"[a-z0-9_-]+", name):
        raise AssetError(path, "a prompt name is lowercase letters, digits, - or _")

    template = string.Template(_read_text(path))
    if not template.is_valid():
        raise AssetError(path, "a '$' that starts no placeholder (write '$$')")
    expected = PROMPT_PLACEHOLDERS.get(name)
    found = set(template.get_identifiers())
    if expected is not None and found != expected:
        wanted = ", ".join(f"${field}" for field in sorted(expected))
        raise AssetError(path, f"placeholders must be exactly {wanted}")
    return template


@functools.cache
def _shipped_curriculum() -> tuple[Topic, ...]:
    return tuple(load_curriculum(ASSETS_DIR / "curriculum.json"))


@functools.cache
def _shipped_languages() -> tuple[Language, ...]:
    return tuple(load_languages(ASSETS_DIR / "languages.json"))


@functools.cache
def _shipped_topic_index() -> Mapping[str, Topic]:
    return MappingProxyType({topic.slug: topic for topic in _shipped_curriculum()})


@functools.cache
def _shipped_language_index() -> Mapping[str, Language]:
    return MappingProxyType({lang.code: lang for lang in _shipped_languages()})


@functools.cache
def _shipped_prompt(name: str) -> string.Template:
    return load_prompt(name, ASSETS_DIR / "prompts")


# --- Export ------------------------------------------------------------------

_FILENAME_LIMIT = 80


def safe_filename(slug: str) -> str:
    """A file name stem made only of a-z, 0-9 and single hyphens, never empty."""
    ascii_text = unicodedata.normalize("NFKD", slug).encode("ascii", "ignore")
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")
    stem = stem[:_FILENAME_LIMIT].rstrip("-")
    return stem or "untitled"


def to_markdown(guideline: Guideline, language: Language | None = None) -> str:
    """A guideline as a readable Markdown page; texts are emitted unchanged."""
    if language is not None and language.code != guideline.language:
        raise ValueError(
            f"guideline {guideline.key} is in {guideline.language!r}, "
            f"not {language.code!r}"
        )
    content = guideline.content
    blocks = [
        "# " + " ".join(content.title.split()),
        _record_line(guideline, language),
        *_simulated_notice(guideline.provenance),
        _blockquote(guideline.disclaimer),
        "## Summary\n\n" + content.summary,
        *_bullet_section("Call emergency services if", content.call_emergency_when),
        *_steps_section(content.steps),
        *_bullet_section("Do", content.do),
        *_bullet_section("Don't", content.dont),
        *_bullet_section("Warning signs", content.warning_signs),
        *_special_groups_section(content.special_groups),
    ]
    return "\n\n".join(blocks) + "\n"


def _record_line(guideline: Guideline, language: Language | None) -> str:
    """Language and provenance in one italic line under the title."""
    if language is not None:
        shown = f"{language.native_name} ({language.code})"
    elif guideline.language == SOURCE_LANGUAGE:
        shown = f"English ({SOURCE_LANGUAGE})"
    else:
        shown = guideline.language
    made = guideline.provenance
    written = f"{made.provider}, {made.model}, {made.generated_at.date().isoformat()}"
    return f"*Language: {shown} · Written by: {written}*"


def _simulated_notice(provenance: Provenance) -> list[str]:
    if not provenance.simulated:
        return []
    return [
        "**SIMULATED**: this text was made by the offline simulator, not by a "
        "model. It is placeholder text; never use it for first aid."
    ]


def _blockquote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def _bullet_section(heading: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"## {heading}\n\n" + "\n".join(f"- {item}" for item in items)]


def _steps_section(steps: list[Step]) -> list[str]:
    """Numbered steps; a detail is its own indented paragraph under its step."""
    if not steps:
        return []
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        marker = f"{number}. "
        lines.append(marker + step.instruction)
        if step.detail:
            lines.append(" " * len(marker) + step.detail)
    return ["## Steps\n\n" + "\n\n".join(lines)]


def _special_groups_section(groups: list[SpecialGroup]) -> list[str]:
    if not groups:
        return []
    items = [f"- **{group.group}:** {group.advice}" for group in groups]
    return ["## Special groups\n\n" + "\n".join(items)]

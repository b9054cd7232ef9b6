"""Topics, languages and guidelines: the knowledge base's own vocabulary."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SOURCE_LANGUAGE = "en"

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

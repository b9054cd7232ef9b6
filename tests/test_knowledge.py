"""The shipped assets, their loaders' error messages, and guideline export."""

from __future__ import annotations

import json
import pickle
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core import knowledge
from core.knowledge import (
    ASSETS_DIR,
    DISCLAIMER,
    TARGET_LANGUAGE_CODES,
    AssetError,
    Guideline,
    GuidelineContent,
    Language,
    Provenance,
    SpecialGroup,
    Step,
    content_hash,
    language_by_code,
    load_curriculum,
    load_languages,
    load_prompt,
    safe_filename,
    to_markdown,
    topic_by_slug,
)

EXPECTED_CODES = [
    "es", "fr", "de", "pt", "it", "ar", "hi", "bn", "ur", "zh",
    "ja", "ko", "ru", "tr", "sw", "id", "vi", "fa", "tl",
]  # fmt: skip


def _write(directory: Path, name: str, data: Any) -> Path:
    path = directory / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _topic(slug: str, **extra: str) -> dict[str, str]:
    title = slug.replace("-", " ").title()
    return {"slug": slug, "title": title, "category": "Burns", "scope": "x", **extra}


def _language(code: str) -> dict[str, str]:
    return {"code": code, "name": code.upper(), "native_name": code, "direction": "ltr"}


def _guideline(simulated: bool = False, model: str = "gemini-test") -> Guideline:
    content = GuidelineContent(
        title="Heat Stroke",
        summary="Heat stroke is life-threatening.",
        call_emergency_when=["The person is confused"],
        steps=[
            Step(instruction="Move the person to shade", detail="Out of the sun."),
            Step(instruction="Cool them quickly"),
            Step(instruction="Give sips of water", detail="Only if fully awake."),
        ],
        do=["Stay with the person"],
        dont=["Do not give alcohol"],
        warning_signs=["Seizure"],
        special_groups=[SpecialGroup(group="Older adults", advice="Act sooner.")],
    )
    provenance = Provenance(
        provider="gemini",
        model=model,
        generated_at=datetime(2025, 3, 4, 12, 0, tzinfo=UTC),
        simulated=simulated,
    )
    return Guideline(
        topic="heat-stroke", language="en", content=content, provenance=provenance
    )


# --- Shipped assets ----------------------------------------------------------


def test_shipped_curriculum_has_at_least_72_unique_topics() -> None:
    topics = load_curriculum()

    assert len(topics) >= 72
    assert len({topic.slug for topic in topics}) == len(topics)
    assert len({topic.title for topic in topics}) == len(topics)
    assert {"cpr-adult", "choking-infant", "heat-stroke", "stroke"} <= {
        topic.slug for topic in topics
    }


def test_shipped_curriculum_loads_from_its_explicit_path_too() -> None:
    assert load_curriculum(ASSETS_DIR / "curriculum.json") == load_curriculum()


def test_shipped_languages_are_the_19_targets_in_order() -> None:
    languages = load_languages()

    assert [language.code for language in languages] == EXPECTED_CODES
    assert list(TARGET_LANGUAGE_CODES) == EXPECTED_CODES
    rtl = {language.code for language in languages if language.direction == "rtl"}
    assert rtl == {"ar", "ur", "fa"}
    by_code = language_by_code()
    assert by_code["zh"].name == "Chinese"
    assert by_code["zh"].native_name == "中文"
    assert by_code["tl"].native_name == "Tagalog"


def test_lookups_find_shipped_topics_by_slug() -> None:
    assert topic_by_slug()["heat-stroke"].title == "Heat Stroke"
    assert list(topic_by_slug()) == [topic.slug for topic in load_curriculum()]


def test_shipped_loaders_do_not_reread_files(monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_curriculum()
    first.clear()  # a caller's change must not reach the cache
    load_languages()
    load_prompt("guideline")

    monkeypatch.setattr(knowledge, "ASSETS_DIR", Path("/nonexistent/assets"))

    assert len(load_curriculum()) >= 72
    assert len(load_languages()) == 19
    assert "$title" in load_prompt("guideline").template


def test_lookup_mappings_cannot_be_changed_by_callers() -> None:
    with pytest.raises(TypeError):
        topic_by_slug()["new"] = load_curriculum()[0]  # type: ignore[index]


# --- Curriculum and language errors ------------------------------------------


def _error_for(loader: Any, path: Path) -> str:
    with pytest.raises(AssetError) as caught:
        loader(path)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(str(path) + ": ")
    return message


def test_duplicate_slug_names_the_file_and_entry(tmp_path: Path) -> None:
    topics = [_topic("burns"), _topic("nosebleed"), _topic("burns")]
    path = _write(tmp_path, "curriculum.json", topics)

    message = _error_for(load_curriculum, path)

    assert "curriculum.json: entry 3 (slug 'burns'): duplicate slug" in message
    assert "entry 1" in message


def test_unknown_field_is_named_with_its_entry(tmp_path: Path) -> None:
    topics = [_topic("burns"), _topic("shock", colour="red")]
    path = _write(tmp_path, "curriculum.json", topics)

    message = _error_for(load_curriculum, path)

    assert "curriculum.json: entry 2 (slug 'shock'): unknown field 'colour'" in message


def test_missing_field_is_named_with_its_entry(tmp_path: Path) -> None:
    topic = _topic("shock")
    del topic["scope"]
    path = _write(tmp_path, "curriculum.json", [topic])

    assert "entry 1 (slug 'shock'): missing field 'scope'" in _error_for(
        load_curriculum, path
    )


def test_badly_formed_slug_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "curriculum.json", [_topic("Heat Stroke\n../x")])

    message = _error_for(load_curriculum, path)

    assert "entry 1 (slug 'Heat Stroke\\n../x'): field 'slug'" in message


def test_entry_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "curriculum.json", [_topic("burns"), ["shock"]])

    assert "entry 2: expected a JSON object" in _error_for(load_curriculum, path)


def test_unknown_language_code_names_the_file_and_entry(tmp_path: Path) -> None:
    languages = [_language("es"), _language("fr"), _language("xx")]
    path = _write(tmp_path, "languages.json", languages)

    message = _error_for(load_languages, path)

    assert "languages.json: entry 3 (code 'xx'): not one of the supported" in message


def test_source_language_is_refused_as_a_target(tmp_path: Path) -> None:
    path = _write(tmp_path, "languages.json", [_language("en")])

    message = _error_for(load_languages, path)

    assert "entry 1 (code 'en'): 'en' is the source language" in message


def test_duplicate_language_code_is_refused(tmp_path: Path) -> None:
    languages = [_language("ar"), _language("ar")]
    path = _write(tmp_path, "languages.json", languages)

    assert "entry 2 (code 'ar'): duplicate code" in _error_for(load_languages, path)


def test_a_subset_of_languages_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, "languages.json", [_language("sw"), _language("de")])

    assert [lang.code for lang in load_languages(path)] == ["sw", "de"]
    assert list(language_by_code(path)) == ["sw", "de"]


def test_invalid_json_names_the_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "curriculum.json"
    path.write_text('[\n  {"slug": "burns",,}\n]', encoding="utf-8")

    message = _error_for(load_curriculum, path)

    assert "curriculum.json: invalid JSON at line 2" in message


@pytest.mark.parametrize("data", [{}, [], "topics"])
def test_file_that_is_not_a_list_of_entries_is_refused(
    tmp_path: Path, data: Any
) -> None:
    path = _write(tmp_path, "curriculum.json", data)

    assert "expected a non-empty JSON list" in _error_for(load_curriculum, path)


def test_missing_file_is_an_asset_error(tmp_path: Path) -> None:
    path = tmp_path / "languages.json"

    assert _error_for(load_languages, path).endswith("languages.json: file not found")


def test_message_stays_on_one_line_whatever_the_file_is_called(
    tmp_path: Path,
) -> None:
    with pytest.raises(AssetError) as caught:
        load_languages(tmp_path / "two\nlines.json")

    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith("two lines.json: file not found")


def test_file_inside_the_repository_is_shown_relative_to_it() -> None:
    with pytest.raises(AssetError) as caught:
        load_curriculum(ASSETS_DIR / "no-such-curriculum.json")

    assert str(caught.value) == "assets/no-such-curriculum.json: file not found"


def test_asset_error_survives_crossing_a_process_boundary(tmp_path: Path) -> None:
    path = _write(tmp_path, "curriculum.json", [_topic("a"), _topic("a")])
    with pytest.raises(AssetError) as caught:
        load_curriculum(path)

    copy = pickle.loads(pickle.dumps(caught.value))

    assert str(copy) == str(caught.value)
    assert copy.entry == "entry 2 (slug 'a')"


# --- Prompts -----------------------------------------------------------------


def test_shipped_prompts_fill_in_their_placeholders() -> None:
    guideline = load_prompt("guideline").substitute(
        title="Heat Stroke", category="Environmental", scope="Cooling fast."
    )
    translate = load_prompt("translate").substitute(
        language_name="Swahili", native_name="Kiswahili", guideline_json='{"a": 1}'
    )

    assert "Heat Stroke" in guideline and "Cooling fast." in guideline
    assert "Swahili (Kiswahili)" in translate and '{"a": 1}' in translate
    assert "$" not in guideline + translate


def test_prompt_with_a_stray_dollar_is_refused(tmp_path: Path) -> None:
    (tmp_path / "guideline.txt").write_text("Costs $5 for $title", encoding="utf-8")

    with pytest.raises(AssetError, match=r"guideline\.txt: .*'\$\$'"):
        load_prompt("guideline", tmp_path)


def test_prompt_missing_a_placeholder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "guideline.txt").write_text("Write about $title.", encoding="utf-8")

    with pytest.raises(AssetError, match=r"guideline\.txt: placeholders must be"):
        load_prompt("guideline", tmp_path)


def test_prompt_name_cannot_leave_the_directory(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("$x", encoding="utf-8")

    with pytest.raises(AssetError, match="prompt name"):
        load_prompt("../secret", tmp_path / "prompts")


# --- Guidelines --------------------------------------------------------------


def test_content_hash_follows_content_not_provenance() -> None:
    original = _guideline()
    edited = original.model_copy(deep=True)
    edited.content.steps[1].detail = "Use cold water."
    regenerated = _guideline(simulated=True, model="another-model")

    assert content_hash(edited) != content_hash(original)
    assert content_hash(regenerated) == content_hash(original)


def test_markdown_has_title_disclaimer_and_numbered_steps_in_order() -> None:
    page = to_markdown(_guideline())

    assert page.startswith("# Heat Stroke\n")
    assert f"> {DISCLAIMER}" in page
    assert page.index(DISCLAIMER) < page.index("## Summary")
    steps = re.findall(r"^(\d+)\. (.+)$", page, flags=re.MULTILINE)
    assert steps == [
        ("1", "Move the person to shade"),
        ("2", "Cool them quickly"),
        ("3", "Give sips of water"),
    ]
    assert "Out of the sun." in page and "Only if fully awake." in page
    for text in ("Stay with the person", "Do not give alcohol", "Seizure"):
        assert f"- {text}" in page
    assert "Older adults" in page and "Act sooner." in page


def test_markdown_shows_provenance_and_labels_simulated_text() -> None:
    real = to_markdown(_guideline())
    simulated = to_markdown(_guideline(simulated=True))

    assert "gemini, gemini-test, 2025-03-04" in real
    assert "SIMULATED" not in real
    assert "SIMULATED" in simulated
    assert simulated.index("SIMULATED") < simulated.index("## Summary")


def test_markdown_names_the_language_natively_and_keeps_text_as_is() -> None:
    guideline = _guideline().model_copy(update={"language": "ar"})
    guideline.content.summary = "ضربة الشمس <b>خطيرة</b> & *urgent*"

    page = to_markdown(guideline, language_by_code()["ar"])

    assert "العربية (ar)" in page
    assert "ضربة الشمس <b>خطيرة</b> & *urgent*" in page


def test_markdown_refuses_a_language_that_is_not_the_guidelines() -> None:
    french = Language(code="fr", name="French", native_name="Français")

    with pytest.raises(ValueError, match="'fr'"):
        to_markdown(_guideline(), french)


# --- Export file names -------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("heat-stroke", "heat-stroke"),
        ("../../etc/passwd", "etc-passwd"),
        ("a/b", "a-b"),
        ("Ünïcode title", "unicode-title"),
    ],
)
def test_safe_filename_maps_slugs_to_plain_names(slug: str, expected: str) -> None:
    assert safe_filename(slug) == expected


@pytest.mark.parametrize(
    "slug",
    ["", "..", "../../etc/passwd", "a/b", "Ünïcode title", "x" * 300, "中文", "-" * 90],
)
def test_safe_filename_is_never_empty_or_escaping(slug: str) -> None:
    name = safe_filename(slug)

    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert 0 < len(name) <= 80
    assert ".." not in name and "/" not in name


def test_safe_filename_caps_long_slugs_without_a_trailing_hyphen() -> None:
    assert safe_filename("x" * 300) == "x" * 80
    assert safe_filename("a" * 79 + "-bc") == "a" * 79

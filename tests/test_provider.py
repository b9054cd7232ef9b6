"""Which provider the settings select, and how it is described."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.llm.gemini import GeminiProvider
from core.llm.provider import ProviderConfigError, describe, make_provider
from core.llm.simulator import SimulatorProvider
from core.settings import Settings

API_KEY = "AIza-test-secret-123"


def settings(tmp_path: Path, **values: Any) -> Settings:
    """Settings from the arguments and the environment only, no .env file."""
    return Settings(_env_file=None, data_dir=tmp_path, **values)


async def test_auto_without_a_key_selects_the_simulator(tmp_path: Path) -> None:
    chosen = settings(tmp_path)

    provider = make_provider(chosen)

    assert isinstance(provider, SimulatorProvider)
    assert describe(chosen) == (
        "simulator (no GEMINI_API_KEY or GOOGLE_API_KEY set): "
        "offline, simulated text, not medical advice"
    )


async def test_simulator_chosen_explicitly_even_with_a_key(tmp_path: Path) -> None:
    chosen = settings(tmp_path, provider="simulator", gemini_api_key=API_KEY)

    provider = make_provider(chosen)

    assert isinstance(provider, SimulatorProvider)
    assert describe(chosen).startswith("simulator (MEDKB_PROVIDER=simulator): ")


@pytest.mark.parametrize("provider_name", ["auto", "gemini"])
async def test_a_key_selects_gemini(tmp_path: Path, provider_name: str) -> None:
    chosen = settings(tmp_path, provider=provider_name, gemini_api_key=API_KEY)

    provider = make_provider(chosen, model="gemini-other")
    await provider.aclose()

    assert isinstance(provider, GeminiProvider)
    assert provider.model == "gemini-other"
    assert describe(chosen) == "Gemini (gemini-flash-latest)"
    assert API_KEY not in repr(provider)


def test_gemini_without_a_key_is_a_config_error(tmp_path: Path) -> None:
    chosen = settings(tmp_path, provider="gemini", gemini_api_key="  ")

    with pytest.raises(ProviderConfigError, match="GEMINI_API_KEY"):
        make_provider(chosen)
    assert "no GEMINI_API_KEY" in describe(chosen)


def test_key_from_the_environment_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", API_KEY)

    assert describe(settings(tmp_path)) == "Gemini (gemini-flash-latest)"

"""Shared fixtures: paths to the repository's models and the shared reference cases."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SHARED = ROOT.parent / "shared"
CASES = SHARED / "cases"


def model_files() -> list[Path]:
    """Every example model in models/."""
    return sorted(MODELS.glob("*.yaml"))


@pytest.fixture
def saas_path() -> Path:
    return MODELS / "saas-renewal.yaml"

"""The models the service serves: loaded and checked once at start-up, compiled once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dealopt.errors import DealoptError, ModelError
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.loading import load_model

__all__ = ["Catalog", "UnknownModel"]


class UnknownModel(DealoptError):
    """No model of that name is served."""


@dataclass
class Catalog:
    """Compiled models by name."""

    deals: dict[str, CompiledDeal]
    problems: list[str]

    @classmethod
    def load(cls, folder: str | Path) -> Catalog:
        """Every valid ``*.yaml``/``*.json`` model of ``folder``; the invalid ones are listed, not served."""
        root = Path(folder)
        if not root.is_dir():
            raise DealoptError(f"--models {root}: not a folder; expected a folder of model files")
        deals: dict[str, CompiledDeal] = {}
        problems: list[str] = []
        for path in sorted([*root.glob("*.yaml"), *root.glob("*.yml"), *root.glob("*.json")]):
            try:
                deal = compile_model(load_model(path))
            except ModelError as exc:
                problems.extend(exc.lines())
                continue
            if deal.name in deals:
                problems.append(f"{path}: a second model named {deal.name!r}; it is not served")
                continue
            deals[deal.name] = deal
        return cls(deals, problems)

    def get(self, name: str) -> CompiledDeal:
        """The model called ``name``."""
        try:
            return self.deals[name]
        except KeyError:
            raise UnknownModel(f"no model named {name!r}; expected one of {', '.join(sorted(self.deals))}") from None

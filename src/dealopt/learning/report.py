"""What was learned, as an analyst reads it: estimates with 90 % intervals, in money, and held-out metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dealopt.learning.fit import ChoiceFit
from dealopt.learning.metrics import Metrics
from dealopt.model.schema import DealModel

__all__ = ["BuyerFit", "Estimate", "LearnResult", "money"]


@dataclass(frozen=True)
class Estimate:
    """A learned number and its 90 % interval."""

    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        """Plain data."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high}

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        return self.low <= value <= self.high


def money(x: float) -> str:
    """A sum of money to three significant figures, with thousands separators (38,200; 0.0412)."""
    if x == 0 or not np.isfinite(x):
        return f"{x:g}"
    digits = 2 - int(np.floor(np.log10(abs(x))))
    return f"{round(x, digits):,.{max(digits, 0)}f}"


@dataclass(frozen=True)
class BuyerFit:
    """The buyer learned from one history (or one segment of it)."""

    segment: str | None
    rows: int
    parameters: dict[str, Estimate]
    labels: dict[str, str]  # what each parameter is, in words
    walk_away: Estimate
    scale: Estimate
    metrics: Metrics
    currency: str
    profiles: int
    penalty: float
    fitted: dict[str, Any] = field(repr=False)  # the fitted model's file data
    choice: ChoiceFit = field(repr=False)
    held_out: tuple[np.ndarray, np.ndarray, np.ndarray] = field(repr=False)  # predicted, won, weight
    price_issue: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: rows, parameters, walk_away, scale and metrics."""
        out: dict[str, Any] = {
            "rows": self.rows,
            "parameters": {k: v.to_dict() for k, v in self.parameters.items()},
            "walk_away": self.walk_away.to_dict(),
            "scale": self.scale.to_dict(),
            "metrics": self.metrics.to_dict(),
            "profiles": self.profiles,
            "currency": self.currency,
        }
        if self.penalty > 0:
            out["penalty"] = self.penalty
        if self.segment is not None:
            out["segment"] = self.segment
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per learned number: the parameters, the walk-away and the scale."""
        rows = [("parameter", k, self.labels.get(k, k), v) for k, v in self.parameters.items()]
        rows += [("walk_away", "walk_away", "walk-away", self.walk_away), ("scale", "scale", "noise", self.scale)]
        frame = pd.DataFrame(
            [
                {"kind": kind, "name": name, "label": label, "estimate": e.estimate, "low": e.low, "high": e.high}
                for kind, name, label, e in rows
            ]
        )
        if self.segment is not None:
            frame.insert(0, "segment", self.segment)
        return frame

    def lines(self) -> list[str]:
        """What each learned number is worth, in words: ``premium support: 38,200 USD (31,900–44,600)``."""
        cur = f" {self.currency}" if self.currency else ""
        out = [
            f"{self.labels.get(k, k)}: {money(e.estimate)}{cur} ({money(e.low)}–{money(e.high)})"
            for k, e in self.parameters.items()
        ]
        out.append(
            f"walk-away: {money(self.walk_away.estimate)}{cur} "
            f"({money(self.walk_away.low)}–{money(self.walk_away.high)})"
        )
        out.append(
            f"noise (one logit): {money(self.scale.estimate)}{cur} ({money(self.scale.low)}–{money(self.scale.high)})"
        )
        return out

    def model(self) -> DealModel:
        """The fitted model, validated."""
        from dealopt.model.loading import model_from_data

        return model_from_data(self.fitted, self.fitted.get("name"))

    def yaml(self) -> str:
        """The fitted model as a YAML file, headed by what was learned."""
        import yaml

        head = [f"# Fitted by dealopt learn from {self.rows} history rows"]
        if self.segment is not None:
            head[0] += f" (segment {self.segment})"
        head.append(f"# buyer: {self.profiles} profiles, each 1/{self.profiles}: parameter draws × noise quantiles")
        head += [f"#   {line}" for line in self.lines()]
        m = self.metrics
        head.append(
            f"# held out ({m.held_out} rows): log loss {m.log_loss:.4f}, Brier {m.brier:.4f}, "
            f"AUC {m.auc:.3f} (price only {m.baseline_auc:.3f}), calibration error {m.ece:.3f}"
        )
        body = yaml.safe_dump(self.fitted, sort_keys=False, allow_unicode=True, width=120)
        return "\n".join(head) + "\n" + body


@dataclass(frozen=True)
class LearnResult:
    """What :func:`dealopt.learn` learned: one :class:`BuyerFit`, or one per value of a segment column."""

    model_name: str
    segment_column: str | None
    fits: tuple[BuyerFit, ...]

    @property
    def fit(self) -> BuyerFit:
        """The only fit (without segments)."""
        if len(self.fits) != 1:
            raise AttributeError("a segmented result has one fit per segment: use .fits")
        return self.fits[0]

    @property
    def parameters(self) -> dict[str, Estimate]:
        """The learned parameters (without segments)."""
        return self.fit.parameters

    @property
    def walk_away(self) -> Estimate:
        """The learned walk-away (without segments)."""
        return self.fit.walk_away

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``{"segment": COLUMN, "segments": {VALUE: report}}`` with segments)."""
        if self.segment_column is None:
            return self.fit.to_dict()
        return {"segment": self.segment_column, "segments": {f.segment: f.to_dict() for f in self.fits}}

    def to_frame(self) -> pd.DataFrame:
        """One row per learned number (and segment)."""
        return pd.concat([f.to_frame() for f in self.fits], ignore_index=True)

    def paths(self, out: str | Path) -> list[Path]:
        """Where :meth:`write` puts each fitted model: ``out``, or ``STEM-SEGMENT.SUFFIX`` per segment."""
        p = Path(out)
        if self.segment_column is None:
            return [p]
        return [
            p.with_name(f"{p.stem}-{f.fitted['name'][len(self.model_name) + 1 :]}{p.suffix or '.yaml'}")
            for f in self.fits
        ]

    def write(self, out: str | Path) -> list[Path]:
        """Write the fitted model(s) as YAML; each file is written whole or not at all."""
        import os

        written = []
        for fit, path in zip(self.fits, self.paths(out), strict=True):
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(fit.yaml(), encoding="utf-8")
            os.replace(tmp, path)
            written.append(path)
        return written

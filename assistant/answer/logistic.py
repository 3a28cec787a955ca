"""A fitted logistic model as data: standardised features → probability, and its threshold.

The answer path's learned decisions (abstention, scope) are logistic regressions fitted
with scikit-learn by one script each from the dev split; what they learned is a JSON file
beside the code (coefficients, scaling, threshold, provenance), read here. Serving needs
no scikit-learn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Self, TypeVar


@dataclass(frozen=True)
class LogisticModel:
    """sigmoid(intercept + Σ coef · (value − mean) / scale), and the threshold fitted for it."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    provenance: dict[str, Any]

    def probability_of(self, values: Mapping[str, float]) -> float:
        """The probability for one row of feature values (by name)."""
        z = self.intercept + sum(
            c * (values[f] - m) / s
            for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "provenance": self.provenance,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            provenance=dict(data.get("provenance", {})),
        )


M = TypeVar("M", bound=LogisticModel)


def load_fitted(cls: type[M], file_name: str, features: tuple[str, ...], refit: str) -> M:
    """The model in ``assistant/answer/<file_name>``; RuntimeError if fitted on other features."""
    text = resources.files("assistant.answer").joinpath(file_name).read_text(encoding="utf-8")
    model = cls.from_dict(json.loads(text))
    if model.features != features:
        raise RuntimeError(
            f"{file_name} was fitted on features {model.features}, the code computes "
            f"{features}: refit it with `{refit}`."
        )
    return model

"""Probabilities taken back to the natural class balance after a rebalanced training, scored
beside the raw ones and the constant prior (metrics.json's `calibration`).

A model trained at class shares pi_t (undersampled, oversampled or class-weighted rows: the
weighted shares) estimates p_t(c | x); at the natural shares pi its probability is
p(c | x) proportional to p_t(c | x) pi_c / pi_t,c, renormalised over the classes: the
prior-shift correction of Saerens, Latinne & Decaestecker (2002). For two classes this is
Elkan's (2001) p' = beta p / (beta p - p + 1), p the minority class's score and beta the kept
share of the majority class (Dal Pozzolo et al. 2015), here beta = (pi_min / pi_maj) /
(pi_t,min / pi_t,maj), which is that share for an undersampler. The natural shares are the
training split's before sampling: the only estimate of the balance the model will meet.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.evaluate.task import Task

NATURAL_COLUMN = "p_natural"  # binary: P(positive class) at the natural class balance
SHIFT_TOLERANCE = 1e-9  # training and natural shares closer than this: no prior shift
METHOD = (
    "prior shift (Saerens et al. 2002): each class probability times natural share / training "
    "share, renormalised; for two classes Elkan's p' = beta p / (beta p - p + 1) of the "
    "minority class (beta: the kept share of the majority class). Natural shares: the training "
    "split before sampling; training shares: after sampling, times any class weights"
)
BRIER_SCALE = "binary: mean (y - p)^2 in [0, 1]; k classes: mean sum over classes, in [0, 2]"


@dataclass(frozen=True)
class Priors:
    """The class shares of the training split before sampling (natural) and those the model
    was trained at (after sampling, weighted by any class weights)."""

    natural: np.ndarray
    training: np.ndarray

    @classmethod
    def of_counts(
        cls,
        names: Sequence[str],
        before: Mapping[str, int],
        after: Mapping[str, int],
        class_weight: Mapping[int, float] | None = None,
    ) -> Priors:
        """The priors of training class counts before and after sampling (and Keras weights)."""
        natural = np.array([before[name] for name in names], dtype=np.float64)
        trained = np.array([after[name] for name in names], dtype=np.float64)
        if class_weight:
            trained = trained * np.array([class_weight.get(i, 1.0) for i in range(len(names))])
        return cls(natural / natural.sum(), trained / trained.sum())

    @property
    def shifted(self) -> bool:
        """Whether the model trained at another class balance than the natural one."""
        return not np.allclose(self.natural, self.training, rtol=0.0, atol=SHIFT_TOLERANCE)

    def beta(self) -> tuple[int, float]:
        """Two classes: the minority class (by natural share) and Elkan's beta, the factor
        the minority class's odds are multiplied by."""
        minority = int(np.argmin(self.natural))
        majority = 1 - minority
        natural_odds = self.natural[minority] / self.natural[majority]
        training_odds = self.training[minority] / self.training[majority]
        return minority, float(natural_odds / training_odds)


def elkan(p_minority: np.ndarray, beta: float) -> np.ndarray:
    """Elkan's correction of the minority class's probability: beta p / (beta p - p + 1)."""
    p = np.asarray(p_minority, dtype=np.float64)
    return beta * p / (beta * p - p + 1.0)


def natural_binary(p_positive: np.ndarray, priors: Priors) -> np.ndarray:
    """The positive class's probability at the natural balance, by Elkan's formula applied to
    whichever class is the minority."""
    minority, beta = priors.beta()
    p = np.asarray(p_positive, dtype=np.float64)
    return elkan(p, beta) if minority == 1 else 1.0 - elkan(1.0 - p, beta)


def prior_shift(probabilities: np.ndarray, priors: Priors) -> np.ndarray:
    """(rows, k) class probabilities at the natural balance (Saerens et al. 2002)."""
    p = np.asarray(probabilities, dtype=np.float64)
    ratio = np.divide(
        priors.natural, priors.training, out=np.ones_like(priors.natural), where=priors.training > 0
    )
    shifted = p * ratio
    total = shifted.sum(axis=1, keepdims=True)
    return shifted / np.where(total > 0, total, 1.0)


def natural_columns(n_classes: int) -> list[str]:
    """The prediction files' natural-balance columns: p_natural, or p_natural_<i> per class."""
    if Task.of_count(n_classes).binary:
        return [NATURAL_COLUMN]
    return [f"{NATURAL_COLUMN}_{i}" for i in range(n_classes)]


def natural_frame(scores: np.ndarray, priors: Priors) -> dict[str, np.ndarray]:
    """The natural-balance columns of some rows' scores (1-D: the positive class's), by name;
    empty when the training kept the natural balance."""
    if not priors.shifted:
        return {}
    scores = np.asarray(scores, dtype=np.float64)
    task = Task.of_scores(scores)
    if task.binary:
        return {NATURAL_COLUMN: natural_binary(scores, priors)}
    natural = prior_shift(scores, priors)
    return dict(zip(natural_columns(task.n_classes), natural.T, strict=True))


def probability_scores(y_true: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Brier score and log loss of 1-D positive-class or (rows, k) class probabilities."""
    from sklearn.metrics import brier_score_loss, log_loss  # the run imports this module early

    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    task = Task.of_scores(p)
    labels = list(range(task.n_classes))
    with warnings.catch_warnings():  # float32 softmax rows sum to 1 within 1e-7: sklearn warns
        warnings.simplefilter("ignore", UserWarning)
        if task.binary:
            brier = brier_score_loss(y, p, pos_label=1)
        else:
            brier = brier_score_loss(y, p, labels=labels)
        loss = log_loss(y, p, labels=labels)
    return {"brier": float(brier), "log_loss": float(loss)}


def constant_prior(y_true: np.ndarray, n_classes: int) -> np.ndarray:
    """The constant predictor of the split's own class shares (the chance levels' prior)."""
    y = np.asarray(y_true, dtype=np.int64)
    shares = np.bincount(y, minlength=n_classes) / len(y)
    return Task.of_count(n_classes).class_scores(np.tile(shares, (len(y), 1)))


def calibration_record(
    names: Sequence[str], y_true: np.ndarray, scores: np.ndarray, frame: Any, priors: Priors
) -> dict[str, Any]:
    """metrics.json's `calibration`: the priors, the natural-balance columns and the test
    split's Brier score and log loss of the raw scores, of those columns (read from `frame`,
    the test predictions) and of the constant prior."""
    task = Task.of_classes(names)
    columns = [c for c in natural_columns(task.n_classes) if c in frame] if priors.shifted else []
    test = {
        "raw": probability_scores(y_true, scores),
        "prior": probability_scores(y_true, constant_prior(y_true, task.n_classes)),
    }
    if columns:
        natural = frame[columns].to_numpy(dtype=np.float64)
        test["natural"] = probability_scores(y_true, natural[:, 0] if task.binary else natural)
    record: dict[str, Any] = {
        "method": METHOD,
        "brier": BRIER_SCALE,
        "prior_shift": priors.shifted,
        "natural_prior": dict(zip(names, map(float, priors.natural), strict=True)),
        "training_prior": dict(zip(names, map(float, priors.training), strict=True)),
        "columns": columns,
        "test": test,
    }
    if task.binary and priors.shifted:
        minority, beta = priors.beta()
        record |= {"minority_class": names[minority], "beta": beta}
    return record


def _scored(values: Mapping[str, float]) -> str:
    """'Brier 0.123, log loss 0.456'."""
    return f"Brier {values['brier']:.3f}, log loss {values['log_loss']:.3f}"


def calibration_warnings(result: Mapping[str, Any]) -> list[str]:
    """One line when the test Brier score is worse than the constant prior's, with what the
    natural-balance probabilities score (nothing without a `calibration` section)."""
    record = result.get("calibration")
    if not record:
        return []
    test = record["test"]
    raw, prior = test["raw"], test["prior"]
    if raw["brier"] <= prior["brier"]:
        return []
    skill = 1.0 - raw["brier"] / prior["brier"] if prior["brier"] > 0 else float("-inf")
    head = (
        f"The predicted probabilities score worse than a constant guess of the class shares: "
        f"{_scored(raw)} against {_scored(prior)} for the prior (Brier skill {skill:+.3f})"
    )
    natural = test.get("natural")
    if natural is None:
        return [f"{head}; the probabilities are not calibrated: read ranking metrics."]
    columns = record["columns"]
    where = columns[0] if len(columns) == 1 else f"{columns[0]}..{columns[-1]}"
    if natural["brier"] < prior["brier"]:
        verdict = "better than the prior: read those as probabilities"
    elif natural["brier"] < raw["brier"]:
        verdict = "closer, but still no better than the prior: the probabilities are not calibrated"
    else:
        verdict = "no better than the raw scores: the probabilities are not calibrated"
    return [
        f"{head}. The model trained at another class balance (resampled or class-weighted), "
        "which pulls its probabilities toward equal shares; taken back to the natural balance "
        f"(column {where} of the prediction files) they score {_scored(natural)}, {verdict}."
    ]

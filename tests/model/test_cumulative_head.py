"""The cumulative head without training: its outputs, its rank consistency, its weights and the
selection metrics early stopping reads, each against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.utils.class_weight import compute_class_weight

from threshold_sweep.model.cumulative import cumulative_selection_metrics
from threshold_sweep.prepare.labels import threshold_targets
from threshold_sweep.prepare.sampling import threshold_weights


def _built(consistency: str, k: int = 4):
    from threshold_sweep.conf.schema import ModelConfig
    from threshold_sweep.model.build import build_model
    from threshold_sweep.model.cumulative import CumulativeHead

    cfg = OmegaConf.structured(ModelConfig(filters=[4], dense_units=4))
    probe = np.random.default_rng(0).normal(size=(16, 12, 1)).astype("float32")
    return build_model(cfg, (12, 1), k + 1, probe, CumulativeHead(consistency)), probe


@pytest.mark.slow  # builds a Keras model: imports TensorFlow
def test_a_rank_consistent_head_never_rises_with_the_threshold():
    import keras

    model, probe = _built("rank_consistent")
    layer = model.get_layer("ordered_biases")
    rng = np.random.default_rng(1)
    for _ in range(5):  # any weights: the order holds by construction
        layer.steps.assign(rng.normal(0, 3, 3).astype("float32"))
        layer.first.assign(rng.normal(0, 3, 1).astype("float32"))
        out = np.asarray(model(probe, training=False))
        assert out.shape == (16, 4)
        assert np.all(np.diff(out, axis=1) <= 1e-7)
        biases = layer.first.numpy()[0] - np.concatenate(
            [[0.0], np.cumsum(np.log1p(np.exp(layer.steps.numpy())))]
        )
        trunk = keras.Model(model.input, model.get_layer("shared_logit").output)
        shared = np.asarray(trunk(probe, training=False), dtype=np.float64)
        expected = 1 / (1 + np.exp(-(shared + biases)))  # CORAL: sigmoid(g(x) + b_k)
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.slow  # builds a Keras model: imports TensorFlow
def test_an_independent_head_has_one_unit_per_threshold():
    model, probe = _built("independent")
    head = model.get_layer("cumulative")
    assert head.units == 4 and head.activation.__name__ == "sigmoid"
    out = np.asarray(model(probe, training=False))
    assert out.shape == (16, 4) and out.min() >= 0 and out.max() <= 1


@pytest.mark.slow  # builds a Keras model: imports TensorFlow
def test_the_head_survives_saving_and_safe_loading(tmp_path):
    import keras

    model, probe = _built("rank_consistent")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True, compile=False)
    np.testing.assert_allclose(loaded(probe), model(probe), rtol=1e-6)


def test_threshold_weights_balance_each_threshold_as_scikit_learn_does():
    y = np.random.default_rng(2).integers(0, 5, 400)
    positive, negative = threshold_weights(y, 4, "undersample")
    for k in range(4):
        weights = compute_class_weight("balanced", classes=np.array([0, 1]), y=(y > k).astype(int))
        assert (negative[k], positive[k]) == pytest.approx(tuple(weights))
        above = (y > k).mean()
        assert positive[k] * above == pytest.approx(negative[k] * (1 - above))  # 50:50
    ones = threshold_weights(y, 4, "none")
    np.testing.assert_array_equal(ones[0], np.ones(4))
    np.testing.assert_array_equal(ones[1], np.ones(4))


def test_cumulative_targets_and_the_selection_metrics_match_scikit_learn():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 300)
    targets = threshold_targets(y, 3)
    np.testing.assert_array_equal(targets, np.column_stack([y > 0, y > 1, y > 2]).astype(int))
    scores = np.clip(targets + rng.normal(0, 0.6, targets.shape), 0.01, 0.99)
    shares = np.array([0.5, 0.5, 0.5])
    got = cumulative_selection_metrics(y, scores, shares)
    aucs = [roc_auc_score(targets[:, k], scores[:, k]) for k in range(3)]
    balanced = [balanced_accuracy_score(targets[:, k], scores[:, k] >= 0.5) for k in range(3)]
    losses = []
    for k in range(3):
        t, p = targets[:, k], scores[:, k]
        losses.append(0.5 * -np.log(p[t == 1]).mean() + 0.5 * -np.log(1 - p[t == 0]).mean())
    assert got["val_roc_auc"] == pytest.approx(np.mean(aucs))
    assert got["val_balanced_accuracy"] == pytest.approx(np.mean(balanced))
    assert got["val_loss_balanced"] == pytest.approx(np.mean(losses))


def test_a_dense_grid_needs_rows_on_both_sides_of_each_threshold_not_in_every_class():
    from threshold_sweep.errors import UserError
    from threshold_sweep.pipeline.modes.cumulative import PLAN
    from threshold_sweep.prepare import prepare, threshold_sides

    from conftest import compose_config

    close = ("label.quantiles=[0.2,0.201,0.5,0.8]", "data.n_samples=1500")
    with pytest.raises(UserError, match=r"label.quantiles=\[0.2,0.201,0.5,0.8\] leaves too few"):
        prepare(compose_config(*close))  # the class between 0.2 and 0.201 has ~1 row a split
    data = prepare(compose_config(*close, "model.head=cumulative"), PLAN)  # the head's plan
    assert len(data.thresholds) == 4
    for name, rows in data.split.items():
        sides = threshold_sides(data.y[rows], data.thresholds)
        x = data.dataset.x[rows]
        for t in data.thresholds:
            assert sides[f"x>{t:g}"] == int(np.sum(x > t)), (name, t)
            assert sides[f"x<={t:g}"] == int(np.sum(x <= t)), (name, t)
        assert min(sides.values()) >= 5


@pytest.mark.slow  # builds a Keras model: imports TensorFlow
def test_coral_biases_start_at_the_training_prevalence_logits():
    from threshold_sweep.conf.schema import ModelConfig
    from threshold_sweep.model.build import build_model
    from threshold_sweep.model.cumulative import CumulativeHead

    prevalence = np.array([0.9, 0.6, 0.6, 0.1])  # a tie: the gap is raised to MIN_STEP
    cfg = OmegaConf.structured(ModelConfig(filters=[4], dense_units=4))
    probe = np.zeros((4, 12, 1), dtype="float32")
    model = build_model(cfg, (12, 1), 5, probe, CumulativeHead("rank_consistent", prevalence))
    layer = model.get_layer("ordered_biases")
    biases = layer.first.numpy()[0] - np.concatenate(
        [[0.0], np.cumsum(np.log1p(np.exp(layer.steps.numpy())))]
    )
    logits = np.log(prevalence / (1 - prevalence))
    np.testing.assert_allclose(biases[[0, 1, 3]], logits[[0, 1, 3]], atol=2e-3)
    assert biases[2] == pytest.approx(biases[1] - 1e-3, abs=1e-5)
    # zero features: every row's output is the prior itself
    out = np.asarray(model(probe, training=False))
    np.testing.assert_allclose(out[0, [0, 1, 3]], prevalence[[0, 1, 3]], atol=1e-2)

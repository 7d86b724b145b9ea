"""ThemeClassifier on the real embedder: fit, predict, save/load without pickles, validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from autocode.classify import (
    CARD_FILE,
    EXCERPTS_FILE,
    WEIGHTS_FILE,
    ModelExcerpt,
    ThemeClassifier,
    WeakExamples,
)
from autocode.classify.thresholds import choose_thresholds, fold_indices
from autocode.errors import InputError
from autocode.types import Code, Codebook

TEXTS = [
    "We talk to the client every week so they understand what the model can do.",
    "Good communication with stakeholders avoids scope creep.",
    "I keep the client informed and we adjust the model when they give feedback.",
    "Without clean, labelled data the model will not work.",
    "Getting access to the data was the hardest part of the project.",
    "You need experienced engineers who know how to handle missing values.",
    "We retrain the model every month with fresh data.",
    "Over time the accuracy degrades, so we monitor it and retrain.",
    "Retraining takes hours, which is a real cost when data keeps arriving.",
]
LABELS = [["T1"], ["T1"], ["T1"], ["T3"], ["T3"], ["T3"], ["T5"], ["T5"], ["T5"]]
GROUPS = ["P1", "P2", "P3", "P1", "P2", "P3", "P1", "P2", "P3"]


@pytest.fixture(scope="module")
def fitted() -> ThemeClassifier:
    return ThemeClassifier(c=1.0).fit(TEXTS, LABELS, groups=GROUPS, theme_ids=["T1", "T3", "T5"])


def test_predict_proba_is_a_frame_of_probabilities(fitted: ThemeClassifier) -> None:
    proba = fitted.predict_proba(["The client needs to hear from us regularly.", "retrain it"])
    assert list(proba.columns) == ["T1", "T3", "T5"]
    assert proba.shape == (2, 3)
    assert ((proba.to_numpy() > 0) & (proba.to_numpy() < 1)).all()


def test_predictions_follow_the_training_themes(fitted: ThemeClassifier) -> None:
    proba = fitted.predict_proba(
        [
            "We met the client often to explain the model's limits.",
            "The data was incomplete and hard to obtain.",
            "The model must be retrained when new data comes in.",
        ]
    )
    assert list(proba.to_numpy().argmax(axis=1)) == [0, 1, 2]
    predicted = fitted.predict(["The model must be retrained when new data comes in."])
    assert set(np.unique(predicted.to_numpy())) <= {0, 1}
    assert predicted.loc[0, "T5"] == 1


def test_min_themes_assigns_the_most_probable_theme() -> None:
    model = ThemeClassifier(threshold=0.99, min_themes=1)
    model.fit(TEXTS, LABELS, theme_ids=["T1", "T3", "T5"])
    predicted = model.predict(["ok", "yes"])
    assert (predicted.sum(axis=1) == 1).all()


def test_save_and_load_round_trip_without_pickle(fitted: ThemeClassifier, tmp_path: Path) -> None:
    fitted.save(tmp_path / "model", metrics={"note": "test"})
    files = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert files == sorted([CARD_FILE, WEIGHTS_FILE, EXCERPTS_FILE])
    card = json.loads((tmp_path / "model" / CARD_FILE).read_text())
    assert card["embedder"]["id"].startswith("all-MiniLM-L6-v2@53aa5117")
    assert card["training"]["n_examples"] == len(TEXTS)
    assert len(card["training"]["data_sha256"]) == 64
    assert card["versions"]["scikit-learn"] != "not installed"
    loaded = ThemeClassifier.load(tmp_path / "model")
    texts = ["We retrain monthly.", "Talk to the client."]
    pd.testing.assert_frame_equal(
        loaded.predict_proba(texts), fitted.predict_proba(texts), atol=1e-6, rtol=0
    )
    assert np.array_equal(loaded.thresholds_, fitted.thresholds_)
    assert loaded.excerpts_ == [] and loaded.codebook_ == fitted.codebook_


def test_a_described_model_carries_its_codebook_and_excerpts(
    fitted: ThemeClassifier, tmp_path: Path
) -> None:
    codebook = Codebook(
        "study",
        [Code("T1", "Talk", "Talking to clients."), Code("T3", "Data"), Code("T5", "Retraining")],
    )
    excerpts = [ModelExcerpt("e1", TEXTS[0], "interview 1", "P1", ("T1",))]
    fitted.describe(codebook, excerpts).save(tmp_path / "model")
    loaded = ThemeClassifier.load(tmp_path / "model")
    assert loaded.excerpts_ == excerpts
    assert loaded.codebook_ == codebook and loaded.card_["codebook"]["name"] == "study"
    with pytest.raises(ValueError, match="lacks the model's codes"):
        fitted.describe(Codebook("other", [Code("T1", "Talk")]))
    with pytest.raises(ValueError, match="codes the model does not know"):
        fitted.describe(codebook, [ModelExcerpt("e2", "x", "s", "P1", ("T9",))])


def test_a_failed_save_leaves_the_saved_model_whole(
    fitted: ThemeClassifier, tmp_path: Path
) -> None:
    folder = fitted.save(tmp_path / "model")
    before = {
        name: (folder / name).read_bytes() for name in (CARD_FILE, WEIGHTS_FILE, EXCERPTS_FILE)
    }
    other = ThemeClassifier(c=0.1).fit(TEXTS, LABELS)
    with pytest.raises(TypeError):  # the card cannot be written: nothing may be
        other.save(folder, note=object())
    assert {p.name for p in folder.iterdir()} == set(before)
    assert {name: (folder / name).read_bytes() for name in before} == before
    with pytest.raises(InputError, match="is a file"):
        fitted.save(folder / CARD_FILE)


def test_fit_is_deterministic(tmp_path: Path) -> None:
    a = ThemeClassifier().fit(TEXTS, LABELS, groups=GROUPS)
    b = ThemeClassifier().fit(TEXTS, LABELS, groups=GROUPS)
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    for name in (CARD_FILE, WEIGHTS_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_load_refuses_what_is_not_a_model(fitted: ThemeClassifier, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a saved ThemeClassifier"):
        ThemeClassifier.load(tmp_path)
    folder = fitted.save(tmp_path / "m")
    (folder / CARD_FILE).write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        ThemeClassifier.load(folder)
    fitted.save(folder)
    card = json.loads((folder / CARD_FILE).read_text())
    card["embedder"]["id"] = "some-other-model@000000000000"
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(InputError, match="trained with embedder some-other-model"):
        ThemeClassifier.load(folder)
    del card["decision"]["novelty_tau"]
    card["embedder"]["id"] = fitted.card()["embedder"]["id"]
    (folder / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(InputError, match="incomplete or from another autocode version"):
        ThemeClassifier.load(folder)
    (folder / WEIGHTS_FILE).write_bytes(b"\x80\x04 this is a pickle, not safetensors")
    with pytest.raises(InputError, match="cannot read weights"):
        ThemeClassifier.load(folder)


def test_weak_examples_of_a_held_out_participant_are_dropped() -> None:
    weak = WeakExamples(
        ["P1 said X", "P2 and P3 said Y", "a theme definition"],
        pd.DataFrame({"T1": [1, 0, 1], "T3": [0, 1, 0]}),
        [frozenset({"P1"}), frozenset({"P2", "P3"}), frozenset()],
    )
    kept = weak.without({"P3"})
    assert kept.texts == ["P1 said X", "a theme definition"]
    assert kept.labels["T1"].tolist() == [1, 1]


def test_fit_validates_its_input() -> None:
    with pytest.raises(ValueError, match="texts but"):
        ThemeClassifier().fit(["a", "b"], [["T1"]])
    with pytest.raises(ValueError, match="unknown theme ids"):
        ThemeClassifier().fit(["a"], [["T9"]], theme_ids=["T1"])
    with pytest.raises(NotFittedError, match="not fitted"):
        ThemeClassifier().predict(["a"])


def test_thresholds_maximise_kappa_on_the_given_probabilities() -> None:
    targets = np.array([[1], [1], [0], [0], [0]])
    proba = np.array([[0.9], [0.6], [0.55], [0.2], [0.1]])
    # Any threshold in (0.55, 0.6] separates perfectly; the grid's middle of that plateau is 0.58.
    assert choose_thresholds(targets, proba)[0] == pytest.approx(0.58)


def test_inner_folds_leave_whole_groups_out() -> None:
    groups = ["a", "a", "b", "c", "c", "d"]
    for train, test, held_out in fold_indices(len(groups), groups, n_folds=5):
        assert {groups[i] for i in test} == held_out
        assert not held_out & {groups[i] for i in train}


def test_softmax_head_gives_one_distribution_over_the_themes() -> None:
    model = ThemeClassifier(head="softmax", min_themes=1).fit(
        TEXTS, LABELS, groups=GROUPS, theme_ids=["T1", "T3", "T5"]
    )
    proba = model.predict_proba(["We retrain monthly.", "The data was missing."])
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(["We retrain monthly."]).sum(axis=1) >= 1).all()


def test_auto_settings_are_chosen_inside_the_training_data() -> None:
    weak = WeakExamples(
        ["Talking to clients", "Data access", "Retraining models"],
        pd.DataFrame({"T1": [1, 0, 0], "T3": [0, 1, 0], "T5": [0, 0, 1]}),
    )
    model = ThemeClassifier(c="auto", weak_weight="auto").fit(
        TEXTS, LABELS, groups=GROUPS, weak=weak, theme_ids=["T1", "T3", "T5"]
    )
    candidates = model.selection_["candidates"]
    assert len(candidates) == 3 * 4  # C grid x weak-weight grid
    best = max(c["inner_macro_kappa"] for c in candidates)
    assert model.selection_["chosen"]["inner_macro_kappa"] == best
    assert model.c_ in (0.3, 1.0, 3.0)


def test_novelty_gate_gives_off_topic_text_no_theme(tmp_path: Path) -> None:
    model = ThemeClassifier(head="softmax", min_themes=1, novelty_quantile=0.05)
    model.fit(TEXTS, LABELS, groups=GROUPS, theme_ids=["T1", "T3", "T5"])
    assert model.novelty_tau_ is not None
    texts = ["We retrain the model whenever new data arrives.", "Simmer the onions in butter."]
    predicted = model.predict(texts)
    assert predicted.loc[0].sum() == 1
    assert predicted.loc[1].sum() == 0
    loaded = ThemeClassifier.load(model.save(tmp_path / "gated"))
    pd.testing.assert_frame_equal(loaded.predict(texts), predicted)


def test_a_scikit_learn_estimator_whose_fitted_and_loaded_forms_match(tmp_path) -> None:
    from sklearn.base import clone

    model = ThemeClassifier(head="softmax", c=0.3, min_themes=1)
    assert clone(model).get_params() == model.get_params()
    assert model.get_params()["c"] == 0.3 and model.set_params(c=3.0).c == 3.0
    texts = [
        "We retrain the model every month.",
        "The client wanted it yesterday.",
        "Monitoring drift is part of maintenance.",
        "Expectations were set too high.",
    ]
    fitted = ThemeClassifier(threshold=0.5, min_themes=1).fit(
        texts, [["T5"], ["T4"], ["T5"], ["T4"]]
    )
    loaded = ThemeClassifier.load(fitted.save(tmp_path / "model"))

    def learned(m: ThemeClassifier) -> set[str]:
        return {name for name in vars(m) if name.endswith("_") and not name.startswith("_")}

    assert learned(fitted) == learned(loaded)
    np.testing.assert_allclose(fitted.coef_, loaded.coef_)


def test_the_ovr_head_fits_what_scikit_learn_fits_column_by_column() -> None:
    """One L-BFGS run over all codes (the head the review learner uses too) gives the
    probabilities of scikit-learn's balanced LogisticRegression per code; a constant code gets
    its clipped base rate."""
    from sklearn.linear_model import LogisticRegression

    from autocode.classify.heads import fit_head, head_proba

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 8))
    y = np.column_stack([x[:, 0] > 0.3, x[:, 1] + x[:, 2] > 0, np.zeros(120, dtype=bool)])
    weights = rng.uniform(0.5, 1.5, 120)
    coef, intercept = fit_head("ovr", x, y.astype(float), weights, 1.0)
    proba = head_proba("ovr", x, coef, intercept, 3)
    for j in range(2):
        reference = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
        reference.fit(x, y[:, j], sample_weight=weights)
        # the same objective; the two optimisers stop at different tolerances
        np.testing.assert_allclose(proba[:, j], reference.predict_proba(x)[:, 1], atol=1e-2)
    np.testing.assert_allclose(proba[:, 2], 1e-3)

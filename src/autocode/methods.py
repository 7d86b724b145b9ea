"""The classifier configuration autocode ships, and the baselines it is compared with.

`SHIPPED` is the one place the default theme classifier's settings live: `autocode train`,
`autocode evaluate` and the model in models/seed-themes all use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from autocode.baselines import DefinitionSimilarityBaseline, MajorityBaseline, TfidfBaseline
from autocode.classify import ThemeClassifier
from autocode.corpus import Corpus
from autocode.embed import Embedder
from autocode.evaluate import Method


@dataclass(frozen=True)
class ClassifierSettings:
    """Everything that decides how a ThemeClassifier is trained on a corpus."""

    c: float = 1.0
    min_themes: int = 0
    paraphrases: bool = True
    definitions: bool = True
    weak_weight: float = 0.5

    def build(self, embedder: Embedder) -> ThemeClassifier:
        model = ThemeClassifier(embedder.model, c=self.c, min_themes=self.min_themes)
        return model.use_embedder(embedder)


SHIPPED = ClassifierSettings()


def classifier_method(
    corpus: Corpus, embedder: Embedder, settings: ClassifierSettings = SHIPPED, name: str = ""
) -> Method:
    weak = None
    if settings.paraphrases or settings.definitions:
        weak = corpus.weak_examples(
            paraphrases=settings.paraphrases,
            definitions=settings.definitions,
            weight=settings.weak_weight,
        )
    extras = [
        "+ paraphrases" if settings.paraphrases else "",
        "+ theme definitions" if settings.definitions else "",
        f"at least {settings.min_themes} theme(s) per excerpt" if settings.min_themes else "",
    ]
    return Method(
        name=name or "theme-classifier",
        description=(
            f"frozen {embedder.model_id} embeddings + logistic regression per theme "
            f"(C={settings.c}); per-theme thresholds from inner leave-one-participant-out; "
            + ", ".join(extra for extra in extras if extra)
        ).rstrip("; "),
        build=lambda: settings.build(embedder),
        weak=weak,
    )


def baseline_methods(corpus: Corpus, embedder: Embedder, min_themes: int = 0) -> list[Method]:
    definitions = {
        code.id: f"{code.name}. {code.definition}".strip() for code in corpus.codebook.codes
    }
    return [
        Method(
            "majority",
            "prior: a theme is predicted where most training excerpts have it",
            lambda: MajorityBaseline(min_themes=min_themes),
        ),
        Method(
            "tfidf-logreg",
            "TF-IDF word 1-2 grams + balanced logistic regression per theme; inner-CV thresholds",
            lambda: TfidfBaseline(min_themes=min_themes),
        ),
        Method(
            "definition-cosine",
            f"cosine similarity of {embedder.model_id} embeddings to each theme's name and "
            "definition; inner-CV thresholds",
            lambda: DefinitionSimilarityBaseline(
                definitions, embedder=embedder, min_themes=min_themes
            ),
        ),
    ]


def train_classifier(
    corpus: Corpus, embedder: Embedder, settings: ClassifierSettings = SHIPPED
) -> ThemeClassifier:
    """Fit the classifier on the whole corpus (what is shipped / saved)."""
    method = classifier_method(corpus, embedder, settings)
    texts, labels, groups = corpus.theme_examples()
    model = method.build()
    return model.fit(texts, labels, groups=groups, weak=method.weak)  # type: ignore[return-value]

"""The classifier configuration autocode ships, and the baselines it is compared with.

`SHIPPED` is the one place the default theme classifier's settings live: `autocode train`,
`autocode evaluate` and the model in models/seed-themes all use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from autocode.classify import ThemeClassifier
from autocode.corpus import Corpus
from autocode.embed import Embedder
from autocode.evaluation import Method
from autocode.evaluation.baselines import (
    DefinitionSimilarityBaseline,
    MajorityBaseline,
    TfidfBaseline,
)


@dataclass(frozen=True)
class ClassifierSettings:
    """Everything that decides how a ThemeClassifier is trained on a corpus."""

    head: str = "ovr"
    c: float | str = 1.0
    min_themes: int = 0
    paraphrases: bool = True
    definitions: bool = True
    weak_weight: float | str = 0.5
    novelty_quantile: float | None = None

    def build(self, embedder: Embedder) -> ThemeClassifier:
        model = ThemeClassifier(
            embedder.model,
            head=self.head,
            c=self.c,
            weak_weight=self.weak_weight,
            min_themes=self.min_themes,
            novelty_quantile=self.novelty_quantile,
        )
        return model.use_embedder(embedder)

    def describe(self, model_id: str, inner: str = "leave-one-participant-out") -> str:
        """One line for reports; `inner` names the folds the thresholds come from."""
        head = {
            "ovr": "one-vs-rest logistic regression per theme",
            "softmax": "class-balanced multinomial logistic regression over the themes",
        }[self.head]
        parts = [f"frozen {model_id} embeddings + {head}"]
        parts.append("C chosen by inner CV" if self.c == "auto" else f"C={self.c}")
        weak = [
            n
            for n, on in (
                ("paraphrases", self.paraphrases),
                ("theme definitions", self.definitions),
            )
            if on
        ]
        if weak:
            weight = "chosen by inner CV" if self.weak_weight == "auto" else self.weak_weight
            parts.append(f"+ {' and '.join(weak)} as weak examples (weight {weight})")
        parts.append(f"per-theme thresholds from inner {inner}")
        if self.min_themes:
            parts.append(f"at least {self.min_themes} theme(s) per excerpt")
        if self.novelty_quantile is not None:
            parts.append(
                f"no theme below the {self.novelty_quantile:.0%} quantile of held-out "
                "similarity to the theme centroids"
            )
        return "; ".join(parts)


# Settings fixed before measuring them on held-out participants (see README, "Measured results"):
# every seed excerpt was quoted for exactly one theme, so a softmax head that always gives the most
# probable theme fits the corpus; texts unlike every theme (off-topic talk in transcripts) get none.
SHIPPED = ClassifierSettings(
    head="softmax", c=1.0, weak_weight=0.5, min_themes=1, novelty_quantile=0.05
)


def classifier_method(
    corpus: Corpus, embedder: Embedder, settings: ClassifierSettings = SHIPPED, name: str = ""
) -> Method:
    weak = None
    if settings.paraphrases or settings.definitions:
        weak = corpus.weak_examples(
            paraphrases=settings.paraphrases,
            definitions=settings.definitions,
            weight=0.5 if isinstance(settings.weak_weight, str) else settings.weak_weight,
        )
    return Method(
        name=name or "theme-classifier",
        description=settings.describe(embedder.model_id),
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

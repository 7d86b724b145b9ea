"""Leave-one-participant-out coding of every utterance of a corpus, labelled or not.

`cross_validate` scores a method on the utterances the coders labelled; to rebuild the tables a
study reports (which participant spoke of which theme, which theme went with which stage) the
model must also code the utterances the coders tied to another codebook only. Each participant's
utterances are coded by a fresh estimator trained on the other participants' labelled utterances
(and weak examples that do not describe them), as in `cross_validate`.
"""

from __future__ import annotations

import pandas as pd

from autocode.corpus import Corpus
from autocode.evaluation import Method, fit_without, participant_order


def code_held_out(corpus: Corpus, method: Method) -> pd.DataFrame:
    """0/1 codes of `corpus`'s codebook for every distinct utterance (rows in the order of
    `corpus.utterances()`), each predicted by a model that never saw its participant."""
    utterances = corpus.utterances()
    texts, truth, groups = corpus.theme_examples()
    coded = pd.DataFrame(0, index=utterances.index, columns=truth.columns)
    for held_out in sorted(set(utterances["participant"]), key=participant_order):
        estimator, _ = fit_without(method, texts, truth, groups, held_out)
        rows = utterances.index[utterances["participant"] == held_out]
        decided = estimator.predict(list(utterances.loc[rows, "text"]))[truth.columns]
        coded.loc[rows] = decided.to_numpy()
    return coded.astype(int)

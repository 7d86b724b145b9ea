"""The seed study's own tables, as its authors coded them and as autocode codes them.

Papineni & Lind read their findings from a participant x theme table (which textural themes each
participant's experience held) and from links of themes to lifecycle stages per participant. The
authors' tables are their statements (corpus participants.csv, withheld participants left out);
autocode's come from coding every utterance with the theme and the stage classifier, each
participant by models that never saw them (`code_held_out`): a participant has a theme when one
of their utterances is coded with it, and links a theme to a stage when one utterance is coded
with both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from autocode.agreement import binary_scores
from autocode.corpus import STAGES, THEMES, Corpus
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.evaluation import participant_order
from autocode.evaluation.held_out import code_held_out
from autocode.evaluation.methods import classifier_method

Link = tuple[str, str, str]  # participant, stage, theme


@dataclass(frozen=True)
class SeedTables:
    themes: list[str]
    stages: list[str]
    names: dict[str, str]
    authors_themes: pd.DataFrame  # participant x theme, 0/1
    model_themes: pd.DataFrame
    link_participants: list[str]  # participants whose stage-theme links the authors state
    authors_links: set[Link]
    model_links: set[Link]
    stage_quotes: int = 0  # what the stage classifier was trained on
    stage_paraphrases: int = 0

    def link_table(self, links: set[Link]) -> pd.DataFrame:
        """Theme x stage: how many of `link_participants` link the theme to the stage."""
        table = pd.DataFrame(0, index=self.themes, columns=self.stages)
        for participant, stage, theme in links:
            if participant in self.link_participants:
                table.loc[theme, stage] += 1
        return table

    def agreement(self) -> dict[str, Any]:
        """Share of cells on which autocode agrees with the authors, and Cohen's kappa."""
        cells = self.authors_themes.to_numpy().ravel(), self.model_themes.to_numpy().ravel()
        triples = [
            (p, s, t) for p in self.link_participants for s in self.stages for t in self.themes
        ]
        stated = np.array([triple in self.authors_links for triple in triples], dtype=int)
        coded = np.array([triple in self.model_links for triple in triples], dtype=int)
        authors_pairs = self.link_table(self.authors_links).to_numpy().ravel() > 0
        model_pairs = self.link_table(self.model_links).to_numpy().ravel() > 0
        return {
            "participant_theme": _agree(*cells, len(self.authors_themes), "participants"),
            "participant_stage_theme_links": _agree(
                stated, coded, len(self.link_participants), "participants"
            ),
            "theme_stage_links": _agree(
                authors_pairs.astype(int), model_pairs.astype(int), len(self.themes), "themes"
            ),
        }


def _agree(truth: np.ndarray, guess: np.ndarray, n: int, of: str) -> dict[str, Any]:
    scores = binary_scores(truth, guess)
    kappa = scores.get("kappa")
    return {
        "cells": len(truth),
        f"n_{of}": n,
        "agreeing": int((truth == guess).sum()),
        "share_agreeing": round(float((truth == guess).mean()), 4),
        "kappa": None if kappa is None or np.isnan(kappa) else round(float(kappa), 4),
        "authors_present": int(truth.sum()),
        "autocode_present": int(guess.sum()),
    }


def seed_tables(corpus: Corpus, embedder: Embedder) -> SeedTables:
    """Both tables, both ways; the classifiers are the shipped configuration, cross-validated by
    participant."""
    themes_view, stages_view = corpus.layer(THEMES), corpus.layer(STAGES)
    stated = corpus.participant_themes()
    if stated is None or corpus.participants is None:
        raise InputError(corpus.directory, "states no participant-level coding (participants.csv)")
    utterances = corpus.utterances()
    theme_codes = code_held_out(themes_view, classifier_method(themes_view, embedder))
    stage_codes = code_held_out(stages_view, classifier_method(stages_view, embedder))
    participants = sorted(stated.index, key=participant_order)
    by_participant = theme_codes.groupby(utterances["participant"].to_numpy()).max()
    model_themes = by_participant.reindex(participants).fillna(0).astype(int)
    authors_links: set[Link] = set()
    link_participants = []
    for row in corpus.participants.to_dict(orient="records"):
        if row["participant"] not in participants or not row.get("stage_themes", "").strip():
            continue
        link_participants.append(row["participant"])
        for part in row["stage_themes"].split("|"):
            stage, _, listed = part.partition(":")
            for theme in listed.split(","):
                if theme.strip():
                    authors_links.add((row["participant"], stage.strip(), theme.strip()))
    model_links: set[Link] = set()
    for position, participant in enumerate(utterances["participant"]):
        for theme in theme_codes.columns[theme_codes.iloc[position].to_numpy() == 1]:
            for stage in stage_codes.columns[stage_codes.iloc[position].to_numpy() == 1]:
                model_links.add((participant, stage, theme))
    names = {code.id: code.name for code in [*corpus.codebook.codes, *corpus.stages]}
    return SeedTables(
        themes=list(theme_codes.columns),
        stages=list(stage_codes.columns),
        names=names,
        authors_themes=stated.loc[participants, theme_codes.columns].astype(int),
        model_themes=model_themes[theme_codes.columns],
        link_participants=sorted(link_participants, key=participant_order),
        authors_links=authors_links,
        model_links=model_links,
        stage_quotes=len(stages_view.theme_examples()[0]),
        stage_paraphrases=stages_view.coded_paraphrases(),
    )

"""Agreement between coders: the model against human coding, humans against each other, or any
set of coders of a project at once (`compare_coders`)."""

from autocode.agreement.characters import (
    CharacterAgreement,
    character_agreement,
    weighted_mean_kappa,
)
from autocode.agreement.multi import brennan_prediger, fleiss_kappa, percent_agreement
from autocode.agreement.scores import (
    METRICS,
    agreement_report,
    binary_scores,
    bootstrap_intervals,
    cohen_kappa,
    krippendorff_alpha,
    multi_coder_alpha,
    per_label_agreement,
)

__all__ = [
    "METRICS",
    "CharacterAgreement",
    "agreement_report",
    "binary_scores",
    "bootstrap_intervals",
    "brennan_prediger",
    "character_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "multi_coder_alpha",
    "per_label_agreement",
    "percent_agreement",
    "weighted_mean_kappa",
]

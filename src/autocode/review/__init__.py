"""Review loop: a local browser app where a researcher accepts, rejects or recodes suggestions.

The library (usable from a notebook) is `ReviewSession`: the queue (`state`, ordered by
`ordering`), the cards (`cards`, from `pool`, `scoring`, `candidates`), the decision log (the
project store's `decisions`), undo, background retraining (`training`, with `learner`) and
progress (`progress`). `server` is the thin Starlette layer over one session; `security` holds
its token and headers.
"""

from autocode.review.cards import Answer, Card
from autocode.review.inputs import ReviewSetup, check_review
from autocode.review.session import Outcome, ReviewSession

__all__ = ["Answer", "Card", "Outcome", "ReviewSession", "ReviewSetup", "check_review"]

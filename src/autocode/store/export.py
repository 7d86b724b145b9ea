"""Codings as a table for analysis in pandas, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from autocode.errors import InputError
from autocode.files import publish, temporary_beside
from autocode.store.codings import CodingStore, coding_filter
from autocode.store.transcripts import TranscriptStore

if TYPE_CHECKING:
    import pandas as pd

FRAME_COLUMNS = (
    "transcript",
    "start",
    "end",
    "text",
    "code",
    "coder",
    "confidence",
    "code_name",
    "codebook",
    "unit_index",
    "created_at",
    "run_id",
)


class CodingsExport(TranscriptStore, CodingStore):
    def codings_frame(
        self,
        transcript_id: str | None = None,
        coder: str | None = None,
        coder_prefix: str | None = None,
        codebook: str | None = None,
    ) -> pd.DataFrame:
        """One row per coding, with the coded text cut from the transcript by its offsets.

        Columns: FRAME_COLUMNS. `confidence` is NaN for human codings.
        """
        import pandas as pd

        where, params = coding_filter(transcript_id, coder, coder_prefix, codebook)
        rows = self._conn.execute(
            'SELECT c.transcript_id, c.start, c."end", c.code_id, c.coder, c.confidence, '
            "k.name, c.codebook, c.unit_idx, c.created_at, c.run_id "
            f"FROM (SELECT * FROM codings {where}) AS c "
            "JOIN codes AS k ON k.codebook = c.codebook AND k.id = c.code_id "
            'ORDER BY c.transcript_id, c.start, c."end", c.id',
            params,
        ).fetchall()
        records = []
        text_id, text = None, ""
        for transcript, start, end, *rest in rows:
            if transcript != text_id:
                text_id, text = transcript, self._text(transcript)
            records.append((transcript, start, end, text[start:end], *rest))
        frame = pd.DataFrame.from_records(records, columns=list(FRAME_COLUMNS))
        frame["confidence"] = frame["confidence"].astype("float64")
        for column in ("start", "end"):
            frame[column] = frame[column].astype("int64")
        for column in ("unit_index", "run_id"):
            frame[column] = frame[column].astype("Int64")
        return frame

    def write_codings(
        self,
        path: str | Path,
        transcript_id: str | None = None,
        coder: str | None = None,
        coder_prefix: str | None = None,
        codebook: str | None = None,
    ) -> int:
        """Write `codings_frame(...)` to a .csv or .parquet file; returns the number of rows.

        The file appears complete or not at all (written beside it, then renamed).
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".parquet"):
            raise InputError(path, "cannot export codings to this format; use .csv or .parquet")
        frame = self.codings_frame(transcript_id, coder, coder_prefix, codebook)
        temporary = temporary_beside(path)
        try:
            if suffix == ".csv":
                frame.to_csv(temporary, index=False)
            else:
                frame.to_parquet(temporary, index=False)
            publish(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return len(frame)

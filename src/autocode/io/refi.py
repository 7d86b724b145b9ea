"""REFI-QDA exchange: `.qdpx` projects and `.qdc` codebooks, the format NVivo, ATLAS.ti, MAXQDA
and QualCoder read and write.

    project = import_qdpx("study.qdpx")          # transcripts, codebook, human codings
    export_qdpx(project, "study-coded.qdpx")      # back to the QDA tool, model codings included
    export_qdc(project.codebook, "codebook.qdc")

The work is split by job: `refi_model` (RefiProject, GUIDs, users, schema validation),
`refi_offsets` (how tools count positions), `refi_archive` (zip/.qde/sources files),
`refi_import` + `refi_sources` (reading), `refi_export` (writing).
"""

from autocode.io.refi_export import code_guid, export_qdc, export_qdpx, transcript_guid
from autocode.io.refi_import import import_qdc, import_qdpx
from autocode.io.refi_model import (
    RefiNote,
    RefiProject,
    coder_from_user_name,
    user_display_name,
    validate_codebook_xml,
    validate_project_xml,
)

__all__ = [
    "RefiNote",
    "RefiProject",
    "code_guid",
    "coder_from_user_name",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdpx",
    "transcript_guid",
    "user_display_name",
    "validate_codebook_xml",
    "validate_project_xml",
]

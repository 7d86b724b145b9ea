"""autocode: NLP-assisted thematic coding of qualitative interviews, offline."""

__version__ = "0.1.0"

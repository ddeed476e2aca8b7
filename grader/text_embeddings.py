"""Embeddings of free-text answers, cached in the gradebook so each text is encoded once.

A text is normalised (Unicode NFKC, runs of whitespace made one space, ends stripped) and
keyed by the sha256 of the result; ``embed`` looks every key up in the gradebook's cache for
the encoder's model id, encodes only the texts it misses (in one batch call) and stores
them. A regrade therefore encodes nothing new.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

import numpy as np

from grader.gradebook import Gradebook
from grader.text_model import EMBEDDING_DIM, TextEncoder

__all__ = ["embed", "normalise_text", "text_key"]


def normalise_text(text: str) -> str:
    """The text as it is embedded and compared: NFKC, whitespace collapsed, ends stripped."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def text_key(text: str) -> str:
    """The cache key of ``text``: sha256 (hex) of its normalised UTF-8 form."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def embed(texts: Sequence[str], gradebook: Gradebook, encoder: TextEncoder) -> np.ndarray:
    """Embeddings of ``texts`` (float32, L2-normalised, shape (N, 384)), in order.

    Texts already cached for ``encoder.model_id`` are read from ``gradebook``; the others
    are encoded once each (duplicates share one encoding) and cached.
    """
    keys = [text_key(t) for t in texts]
    cached = gradebook.embeddings(encoder.model_id, keys, EMBEDDING_DIM)
    missing = {k: normalise_text(t) for k, t in zip(keys, texts, strict=True) if k not in cached}
    if missing:
        vectors = np.asarray(encoder.encode(list(missing.values())), dtype=np.float32)
        if vectors.shape != (len(missing), EMBEDDING_DIM):
            raise ValueError(
                f"the encoder {encoder.model_id!r} returned shape {vectors.shape}, expected "
                f"({len(missing)}, {EMBEDDING_DIM})"
            )
        fresh = dict(zip(missing, vectors, strict=True))
        gradebook.store_embeddings(encoder.model_id, fresh)
        cached.update(fresh)
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = cached[key]
    return out

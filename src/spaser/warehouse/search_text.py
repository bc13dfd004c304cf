"""Text → search terms, the same for the index and the queries: fold, split, drop stop words, stem (French).

Why its own module: :mod:`spaser.warehouse.search` builds and reads the index; what a word becomes is a separate,
testable rule (tests/unit/warehouse/test_search_terms.py), and the version of it the index was built with decides
whether a new build may reuse the previous stems.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import unicodedata
from collections.abc import Sequence
from typing import Final, Protocol

import snowballstemmer  # type: ignore[import-untyped]

#: Short French stop-word list, compared after folding (so "à" is "a", "où" is "ou"). Elided forms (l', d', qu',
#: n°) leave one-letter words, all dropped.
STOP_WORDS: Final[frozenset[str]] = frozenset({
    "a", "au", "aux", "avec", "c", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "en", "et", "il",
    "ils", "j", "l", "la", "le", "les", "leur", "leurs", "lui", "m", "me", "n", "ne", "ou", "par", "pas", "pour",
    "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sur", "t", "un", "une", "y",
})

#: Bump when normalise_terms changes meaning: the next build then re-stems every word.
NORMALISER_VERSION: Final = "1"

ALNUM_RUN = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# --------------------------------------------------------------------------------------------------
# Text → terms


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # snowballstemmer's name


@functools.cache
def _stemmer() -> _Stemmer:
    stemmer: _Stemmer = snowballstemmer.stemmer("french")
    return stemmer


def fold(text: str) -> str:
    """Lower case without accents: NFKD, combining marks dropped, œ → oe, æ → ae."""
    lowered = text.lower().translate(_LIGATURES)
    if lowered.isascii():
        return lowered
    # NFKD may bring capitals back (™ → TM): lower case again.
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c)).lower()


def words_of(text: str) -> list[str]:
    """The folded words of a text: runs of letters and digits."""
    return ALNUM_RUN.findall(fold(text))


def stem(word: str) -> str:
    if any(c.isdigit() for c in word):
        return word
    return _stemmer().stemWord(word)


def normalise_terms(text: str) -> list[str]:
    """The index terms of a text, in order (repeats kept): folded words, stop words dropped, words stemmed.

    >>> normalise_terms("Restauration scolaire de l'Œuvre — lot n°2, 2025")
    ['restaur', 'scolair', 'oeuvr', 'lot', '2', '2025']
    """
    return [stem(word) for word in words_of(text) if word not in STOP_WORDS]


def stemmer_version() -> str:
    """What the stems depend on: this module's normaliser and the Snowball implementation in use."""
    try:
        import Stemmer  # type: ignore[import-not-found]  # noqa: F401  # PyStemmer, used by snowballstemmer

        implementation = f"pystemmer-{importlib.metadata.version('pystemmer')}"
    except ImportError:
        implementation = f"snowballstemmer-{importlib.metadata.version('snowballstemmer')}"
    return f"{NORMALISER_VERSION}/{implementation}"


def normalise_many(words: Sequence[str]) -> list[list[str]]:
    return [normalise_terms(word) for word in words]


def stem_words(words: Sequence[str]) -> tuple[list[str], list[str | None]]:
    """word → term pairs for words never seen by a previous build (a NULL term: a stop word).

    With PyStemmer (a dependency, which snowballstemmer uses when installed) a word takes ~3 µs: a first build
    over a national vocabulary (~300 000 words) stems in about a second."""
    stemmed = normalise_many(words)
    out_words: list[str] = []
    out_terms: list[str | None] = []
    for word, terms in zip(words, stemmed, strict=True):
        if not terms:
            out_words.append(word)
            out_terms.append(None)
        for term in dict.fromkeys(terms):
            out_words.append(word)
            out_terms.append(term)
    return out_words, out_terms

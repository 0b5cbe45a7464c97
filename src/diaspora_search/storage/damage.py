"""A damaged file met while reading: one line with advice, never a raw exception.

Whoosh reading a damaged segment raises whatever its parsers meet (``zlib.error``,
``struct.error``, ``EOFError``, ``KeyError``, ...). Every read of a snapshot goes through
:func:`guarded` (or :func:`guarded_iter` for lazy reads), which turns those into
:class:`~diaspora_search.IndexCorruptError` naming the folder, what failed, and what to do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .._errors import DiasporaSearchError, IndexCorruptError

CHECK_HINT = (
    "run: diaspora-search check --index {path}; then rebuild it from the corpus: "
    "diaspora-search index --rebuild CORPUS.jsonl --index {path}"
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def corrupt(folder: Path | str | None, error: BaseException) -> IndexCorruptError:
    """The one-line error for a damaged file met while reading ``folder``.

    >>> str(corrupt("ix", EOFError("Ran out of input")))[:60]
    'ix: the index is damaged (EOFError: Ran out of input); run: '
    """
    detail = (
        str(error) if isinstance(error, IndexCorruptError) else (f"{type(error).__name__}: {error}")
    )
    detail = " ".join(detail.split())[:300]
    where = folder if folder is not None else "index"
    return IndexCorruptError(
        f"{where}: the index is damaged ({detail}); " + CHECK_HINT.format(path=where)
    )


def guarded(method: F) -> F:
    """A snapshot method whose unexpected errors mean a damaged file (see the module)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except DiasporaSearchError as error:
            if isinstance(error, IndexCorruptError) and " the index is damaged " not in str(error):
                raise corrupt(getattr(self, "path", None), error) from None
            raise
        except (MemoryError, RecursionError, KeyboardInterrupt):
            raise
        except Exception as error:
            raise corrupt(getattr(self, "path", None), error) from None

    return wrapper  # type: ignore[return-value]


def guarded_iter(folder: Path | str | None, items: Iterator[T]) -> Iterator[T]:
    """``items``, read lazily, with the same translation as :func:`guarded`."""
    try:
        yield from items
    except DiasporaSearchError as error:
        if isinstance(error, IndexCorruptError) and " the index is damaged " not in str(error):
            raise corrupt(folder, error) from None
        raise
    except (MemoryError, RecursionError):
        raise
    except Exception as error:
        raise corrupt(folder, error) from None

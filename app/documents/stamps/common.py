"""What every format's stamp shares: the refusal (StampFailed) and the rule that tells a damaged file from a bug."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pypdf.errors import PyPdfError

# Where an exception must start to count as "the file is damaged" (see library_errors).
FILE_LIBRARIES = frozenset({"pypdf", "docx", "pptx", "openpyxl", "lxml", "zipfile", "zlib", "xml", "et_xmlfile", "PIL"})


class StampFailed(Exception):
    """The file cannot be stamped (damaged, encrypted, too large unpacked, unsupported), so it must not be served.

    `reason` is one English sentence for the person downloading; the original exception, if any, is chained.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@contextmanager
def library_errors(reason: str) -> Iterator[None]:
    """Turn an exception raised inside a file library into StampFailed(reason); let our own bugs through.

    The libraries raise dozens of types for damaged files (KeyError, ValueError, zlib.error, their own
    errors...), so the type says little; where the exception started says more. If its innermost frame is in
    one of FILE_LIBRARIES, the file is the problem. If it starts in this module, the bug is ours, and a
    500 with a log entry is the honest answer. Structural surprises our code meets (a page's /Resources
    that is a number) are checked explicitly and raise StampFailed themselves.
    """
    try:
        yield
    except StampFailed:
        raise
    except Exception as exc:
        if isinstance(exc, PyPdfError) or _started_in_library(exc):
            raise StampFailed(reason) from exc
        raise


def _started_in_library(exc: BaseException) -> bool:
    tb, module = exc.__traceback__, ""
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        tb = tb.tb_next
    return module.split(".")[0] in FILE_LIBRARIES

"""A builder process: a fresh interpreter that builds segments of documents sent to it.

A builder is started (``posix_spawn`` of ``python .../storage/_builder_main.py FOLDER``),
not forked: a forked child maps every page of its parent (the caller's records, the batch)
and copies those whose reference counts it touches, so its memory was the parent's plus its
own. A started one holds the interpreter, the analysis, and its segment's buffers.

The parent sends it, on its standard input, framed messages (a kind byte, a length, a pickle):
``i`` the Whoosh index, the direction and the postings per segment (once), ``d`` a chunk of
documents (as many as the parent chooses; see :func:`encode_documents`), ``e`` the end. The
builder answers on its standard output: ``s`` once it has started (the wall and CPU seconds
that took: see :class:`.parallel.Costs`), ``a`` for each chunk built (the parent sends only
a few chunks ahead: a builder stopped or slow holds back only those), and ``r`` the result,
``("ok", segments)`` or ``("error", text)``, then exits. It stops when its standard input
ends (the parent is gone); it never holds the index lock (only the parent does, and no file
descriptor is inherited), so the parent's death releases it.

The parent's handle, :class:`BuilderProcess`, never blocks on the builder: writes are
non-blocking (what the pipe does not take waits in a buffer), and the builder's death, or a
stop (``SIGSTOP``) longer than the stall timeout, is an :class:`IndexWriteError`.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
import time
from typing import Any, BinaryIO

from .._errors import IndexWriteError

INDEX, DOCUMENTS, END, READY, ACK, RESULT = b"i", b"d", b"e", b"s", b"a", b"r"
_HEADER = struct.Struct("!cQ")
_READY = struct.Struct("!dd")  # its start: wall seconds (the parent's clock), CPU seconds
_READ_SIZE = 1 << 16


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def encode_documents(documents: list[dict[str, Any]]) -> bytes:
    """A chunk of documents as sent to a builder: pickled with every non-ASCII string as its
    UTF-8 bytes. Pickling a string itself would make CPython keep its UTF-8 form on the
    string, for as long as the caller's record lives (8.5 MB for the corpus, measured);
    ``str.encode`` keeps nothing. (Documents hold strings, lists of them and numbers, never
    bytes: :func:`decode_documents` turns every ``bytes`` back.)"""
    return pickle.dumps([_encoded(document) for document in documents], pickle.HIGHEST_PROTOCOL)


def decode_documents(payload: bytes) -> list[dict[str, Any]]:
    """The documents :func:`encode_documents` sent."""
    documents: list[dict[str, Any]] = pickle.loads(payload)
    for document in documents:
        for name, value in document.items():
            if type(value) is bytes:
                document[name] = value.decode("utf-8", "surrogatepass")
            elif type(value) is list:
                document[name] = [_decoded_item(item) for item in value]
    return documents


def _encoded(document: dict[str, Any]) -> dict[str, Any]:
    encoded = {}
    for name, value in document.items():
        if type(value) is str:
            if not value.isascii():
                value = value.encode("utf-8", "surrogatepass")
        elif type(value) is list:
            value = [_encoded_item(item) for item in value]
        encoded[name] = value
    return encoded


def _encoded_item(item: Any) -> Any:
    if type(item) is str and not item.isascii():
        return item.encode("utf-8", "surrogatepass")
    return item


def _decoded_item(item: Any) -> Any:
    return item.decode("utf-8", "surrogatepass") if type(item) is bytes else item


def _package_root() -> str:
    """The folder holding this ``diaspora_search`` package: the builder imports the same."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_builder(
    index: Any, backward: bool, postings_per_segment: int, stall_timeout: float = 10.0
) -> BuilderProcess:
    """Start a builder for ``index`` (its documents to be added last first when
    ``backward``, a new segment begun past ``postings_per_segment``); its handle. The index
    folder is on its command line (``ps`` shows whose builder it is)."""
    to_child, child_in = os.pipe()
    child_out, from_child = os.pipe()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_package_root(), env.get("PYTHONPATH")]))
    main = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_builder_main.py")
    argv = [sys.executable, main, str(index.storage.folder)]
    started = time.monotonic()
    try:
        pid = os.posix_spawn(
            sys.executable,
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, to_child, 0),
                (os.POSIX_SPAWN_DUP2, from_child, 1),
            ],
        )
    finally:
        os.close(to_child)
        os.close(from_child)
    builder = BuilderProcess(pid, child_in, child_out, stall_timeout)
    setup = (index, backward, postings_per_segment, started)
    builder.send(INDEX, pickle.dumps(setup, pickle.HIGHEST_PROTOCOL))
    return builder


class BuilderProcess:
    """The parent's handle of a builder: what it was sent and has acknowledged, its answer
    so far, and its state (running, stopped since when, ended)."""

    def __init__(self, pid: int, writer: int, reader: int, stall_timeout: float) -> None:
        self.pid = pid
        self.writer: int | None = writer
        self.reader: int | None = reader
        os.set_blocking(writer, False)
        os.set_blocking(reader, False)
        self.stall_timeout = stall_timeout
        self.status: int | None = None  # once it has ended
        self.in_flight = 0  # chunks sent and not yet acknowledged
        self.ended = False  # sent the end of its documents
        self.started: tuple[float, float] | None = None  # its start's wall and CPU seconds
        self._stopped_at: float | None = None
        self._out = bytearray()  # sent, not yet taken by the pipe
        self._in = bytearray()  # received, not yet parsed
        self._result: bytes | None = None

    # Sending ----------------------------------------------------------------------------

    def send(self, kind: bytes, payload: bytes = b"") -> None:
        self._out += frame(kind, payload)
        if kind == DOCUMENTS:
            self.in_flight += 1
        elif kind == END:
            self.ended = True
        self.flush()

    def flush(self) -> None:
        """Write what the pipe takes now (nothing waits: a stopped builder's pipe is full)."""
        while self._out and self.writer is not None:
            try:
                written = os.write(self.writer, self._out)
            except BlockingIOError:
                return
            except BrokenPipeError:  # (it died: its result says how)
                self._out.clear()
                return
            del self._out[:written]

    @property
    def waiting_output(self) -> bool:
        return bool(self._out)

    # Receiving --------------------------------------------------------------------------

    def receive(self) -> bool:
        """Read and parse what the builder has answered; ``False`` once its output has ended
        (it finished, failed or died)."""
        assert self.reader is not None
        while True:
            try:
                data = os.read(self.reader, _READ_SIZE)
            except BlockingIOError:
                return True
            if not data:
                return False
            self._in += data
            self._parse()

    def _parse(self) -> None:
        buffer = self._in
        while len(buffer) >= _HEADER.size:
            kind, length = _HEADER.unpack_from(buffer)
            end = _HEADER.size + length
            if len(buffer) < end:
                return
            if kind == ACK:
                self.in_flight -= 1
            elif kind == READY:
                self.started = _READY.unpack_from(buffer, _HEADER.size)
            elif kind == RESULT:
                self._result = bytes(buffer[_HEADER.size : end])
            del buffer[:end]

    def result(self) -> list[Any]:
        """The builder's segments, once its output has ended; raises with its error when it
        failed, or how it died."""
        self._close_pipes()
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        kind, payload = None, None
        if self._result is not None:
            kind, payload = pickle.loads(self._result)
        if kind == "error":
            raise IndexWriteError(f"an indexing process failed: {payload}")
        if kind == "ok" and self.status == 0:
            return list(payload or ())
        raise IndexWriteError(f"an indexing process {_describe(self.status)}")

    # Watching ---------------------------------------------------------------------------

    def _poll(self) -> None:
        """Take the builder's news: ended, stopped or continued."""
        if self.status is not None:
            return
        flags = os.WNOHANG | os.WUNTRACED | os.WCONTINUED
        while True:
            pid, status = os.waitpid(self.pid, flags)
            if not pid:
                return
            if os.WIFSTOPPED(status):
                if self._stopped_at is None:
                    self._stopped_at = time.monotonic()
            elif os.WIFCONTINUED(status):
                self._stopped_at = None
            else:
                self.status = status
                return

    def alive(self) -> bool:
        """Whether the builder runs; raises :class:`IndexWriteError` (after killing it) when
        it has been stopped for longer than the stall timeout."""
        self._poll()
        if self._stopped_at is not None:
            stopped = time.monotonic() - self._stopped_at
            if stopped >= self.stall_timeout:
                self.kill()
                raise IndexWriteError(
                    f"an indexing process (pid {self.pid}) was stopped for {stopped:.1f} s "
                    f"(more than {self.stall_timeout:g} s); the batch is not written"
                )
        return self.status is None

    def kill(self) -> None:
        """Stop the builder if it still runs, and release what it holds."""
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                self.status = os.waitpid(self.pid, 0)[1]
            except OSError:
                pass
        self._close_pipes()

    def _close_pipes(self) -> None:
        for fd in (self.writer, self.reader):
            if fd is not None:
                os.close(fd)
        self.writer = self.reader = None
        self._out.clear()


def _describe(status: int) -> str:
    """How a builder ended, from its wait status, for an error message."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = " (as the out-of-memory killer does)" if number == signal.SIGKILL else ""
        return f"was killed by {name}{hint}; the batch is not written"
    return f"failed (exit status {os.waitstatus_to_exitcode(status)}); the batch is not written"


# The builder's side ----------------------------------------------------------------------


def _read_message(source: BinaryIO) -> tuple[bytes, bytes]:
    """The next message; ``SystemExit`` when the input ends (the parent is gone)."""
    header = source.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise SystemExit(1)
    kind, length = _HEADER.unpack(header)
    payload = source.read(length)
    if len(payload) < length:
        raise SystemExit(1)
    return kind, payload


def serve(source: BinaryIO, answer: BinaryIO) -> int:
    """Build what the parent sends until its end message, answer, and return the exit
    status. The cyclic garbage collector stays off (as in :func:`.parallel.build`)."""
    from .parallel import Segments  # (here: parallel.py imports this module)

    gc.disable()
    index, backward, postings_per_segment, started = pickle.loads(_read_message(source)[1])
    answer.write(frame(READY, _READY.pack(time.monotonic() - started, time.process_time())))
    answer.flush()
    segments = Segments(index, backward=backward, postings_per_segment=postings_per_segment)
    try:
        while True:
            kind, payload = _read_message(source)
            if kind == END:
                break
            for document in decode_documents(payload):
                segments.add(document)
            answer.write(frame(ACK))
            answer.flush()
        result: tuple[str, Any] = ("ok", segments.finish())
        code = 0
    except BaseException as error:  # report, then exit: the parent raises
        segments.close()
        if isinstance(error, SystemExit):  # (the parent is gone: nobody to tell)
            raise
        result, code = ("error", f"{type(error).__name__}: {error}"), 1
    answer.write(frame(RESULT, pickle.dumps(result, pickle.HIGHEST_PROTOCOL)))
    answer.flush()
    return code

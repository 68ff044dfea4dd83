"""Packing: one read of the plugin's files feeds every archive at once.

The main thread reads each file once, writes the uncompressed tar (kept: the
build's later steps compare earlier archives with it) and adds each member to
the zip as it goes. The tar.gz is one deflate stream over the whole tar; on a
plugin of some size it is compressed by a child interpreter fed the tar through
a pipe, so a second core works on it from the first MiB on, where compressing
only after the tar pass left that core idle (issue 11).

Why a child, not a thread: cramjam's one-shot functions release the GIL, but its
streaming ``Compressor`` does not, and it is the one whose bytes are the SDK's.
Its output cannot be taken out before ``finish`` either (``flush`` would change
the bytes), so the child holds the compressed tar until the end. That is
bounded: a child whose RSS passes ``GZIP_CHILD_RSS`` exits (on Linux, where it
can watch its RSS; elsewhere the parent stops it once ``GZIP_CHILD_DATA`` bytes
of files went by), and the finished tar is compressed file to file instead
(in a thread: that call releases the GIL). The same happens if the child cannot
start or fails. The bytes are the same either way; tests/test_packing.py checks
every path.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Final, Generic, TypeVar

import cramjam

from .archive import (
    CHUNK,
    Cancelled,
    Digests,
    Entry,
    HashingWriter,
    Member,
    ZipWriter,
    file_digests,
    gzip_file,
    write_tar,
)
from .fileio import Tree
from .outputs import ArchiveFormat

if TYPE_CHECKING:
    import subprocess

    from typing_extensions import Buffer

GZIP_CHILD_RSS: Final = 64 << 20  # the gzip child's peak RSS, its compressed tar included
GZIP_CHILD_DATA: Final = 48 << 20  # without /proc: file bytes a child may be fed
GZIP_CHILD_UPTO: Final = 192 << 20  # file bytes past which no child is started
GZIP_CHILD_FROM: Final = 8 << 20  # tar bytes from which a child is worth its start-up
# Where the child can watch its RSS (resident pages in /proc/self/statm; ru_maxrss will
# not do: Linux carries the parent's over exec); elsewhere the parent counts.
_MEASURES_RSS: Final = sys.platform.startswith("linux")
_QUEUED: Final = 16  # CHUNKs on their way to the child at most
_POLL: Final = 0.1  # seconds between looks at the other side while waiting
_T = TypeVar("_T")

# The child: stdin is the tar, argv[1] the (held, empty) temporary it writes the tar.gz
# into, argv[2] the directory our cramjam was imported from, argv[3] GZIP_CHILD_RSS (it
# exits with status 3 past it); it prints "md5 sha256 size".
# It imports only the standard library and cramjam, and runs isolated (-I): nothing of
# the plugin's directory, the working directory or the environment is on its path.
_CHILD: Final = """\
import hashlib, sys
sys.path.append(sys.argv[2])
import cramjam
import os
try:
    statm = os.open("/proc/self/statm", os.O_RDONLY)  # size, resident, ... in pages
    limit = int(sys.argv[3]) // os.sysconf("SC_PAGE_SIZE")
except (OSError, AttributeError, ValueError):
    statm = None
compressor = cramjam.gzip.Compressor(6)
read = sys.stdin.buffer.read
while chunk := read(1 << 20):
    compressor.compress(chunk)
    if statm is not None and int(os.pread(statm, 64, 0).split()[1]) > limit:
        sys.exit(3)
data = memoryview(compressor.finish())
with open(sys.argv[1], "wb") as out:
    out.write(data)
md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
print(md5, hashlib.sha256(data).hexdigest(), data.nbytes)
"""


@dataclass
class Packed:
    entries: list[Entry]
    tar_size: int
    digests: dict[ArchiveFormat, Digests] = field(default_factory=dict)


def pack(
    members: tuple[Member, ...],
    tree: Tree,
    tar_path: Path,
    temps: Mapping[ArchiveFormat, Path],
    *,
    data_size: int = 0,
    on_bytes: Callable[[int], None] | None = None,
    stop: threading.Event,
) -> Packed:
    """Write the uncompressed tar to ``tar_path`` and every archive of ``temps``.

    ``data_size`` (the files' bytes in all) decides whether a gzip child is
    started: not for a small tar (its start-up would cost more than it saves),
    nor past ``GZIP_CHILD_UPTO`` (its output would pass its memory bound anyway).
    Without a streaming child the zip waits for the tar, then is written while
    the finished tar is compressed, as two cores can. On any failure or
    interruption (KeyboardInterrupt included) ``stop`` is set, the child is
    killed, and the exception propagates.
    """
    gzip_to, zip_to = temps.get("tar.gz"), temps.get("zip")
    child: _GzipChild | None = None
    # glibc serves allocations above its mmap threshold (128 KiB at first) with fresh
    # pages; each deflate of a zip member allocates more than that, and ran 7x slower
    # for it (120 against 17 us a member). Freeing one larger block raises the
    # threshold (glibc's sliding threshold); elsewhere this costs a few microseconds.
    bytearray(4 << 20)
    with _Pool() as pool:
        try:
            tar_estimate = data_size + 1024 * len(members)
            if (
                gzip_to is not None
                and tar_estimate >= GZIP_CHILD_FROM
                and (data_size <= GZIP_CHILD_UPTO)
            ):
                child = _GzipChild.start(gzip_to, pool, stop)
            with contextlib.ExitStack() as stack:
                handle = stack.enter_context(open(tar_path, "wb"))
                sink = _TarSink(handle, child)
                zipper = None
                if zip_to is not None:
                    hashing = HashingWriter(stack.enter_context(open(zip_to, "wb")))
                    zipper = stack.enter_context(
                        ZipWriter(tar_path, hashing, on_bytes=on_bytes, cancelled=stop.is_set)
                    )
                feed = _Feed(zipper, sink, child, defer=gzip_to is not None and child is None)
                entries = write_tar(members, sink, on_bytes=on_bytes, on_member=feed.add, tree=tree)
                sink.close()
                tar_size = handle.tell()
                digests: dict[ArchiveFormat, Digests] = {}
                gzipping = None
                if gzip_to is not None and (child is None or not child.streaming):
                    gzipping = pool.submit(_gzip_file, tar_path, gzip_to, stop)  # meanwhile:
                if zipper is not None:
                    for entry in feed.deferred:  # read back from the finished tar
                        zipper.add(entry)
                    zipper.finish()
                    digests["zip"] = hashing.digests()
            if gzipping is not None:
                digests["tar.gz"] = _waited(gzipping)
            elif child is not None and gzip_to is not None:
                digests["tar.gz"] = _from_child(child, pool, tar_path, gzip_to, stop)
            return Packed(entries, tar_size, digests)
        except BaseException:
            # Ctrl-C, SIGTERM or a failure: the child is killed; a file-to-file gzip
            # runs inside cramjam, and ends at once when its input is emptied.
            stop.set()
            if child is not None:
                child.kill()
            with contextlib.suppress(OSError):
                os.truncate(tar_path, 0)
            raise


def _from_child(
    child: _GzipChild, pool: _Pool, tar_path: Path, temp: Path, stop: threading.Event
) -> Digests:
    """The streaming child's tar.gz; if it failed at the end (it could not import
    cramjam, say), the finished tar compressed file to file instead."""
    try:
        return _waited(child.finish())
    except (OSError, ValueError, Cancelled):
        if stop.is_set():
            raise
        child.kill()
    return _waited(pool.submit(_gzip_file, tar_path, temp, stop))


def _waited(job: _Job[Digests]) -> Digests:
    while not job.done():  # short waits: a signal's Python handler runs in between
        job.thread.join(_POLL)
    return job.result()


class _Job(Generic[_T]):
    """A call in a thread of its own: concurrent.futures would do, but importing it
    (and the logging it imports) costs more than the smaller builds take."""

    def __init__(self, fn: Callable[[], _T]) -> None:
        self.fn = fn
        self.value: _T | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        _signals_to_main()
        try:
            self.value = self.fn()
        except BaseException as exc:
            self.error = exc

    def done(self) -> bool:
        return not self.thread.is_alive()

    def result(self) -> _T:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # set when no error was


class _Pool:
    """The jobs of one pack; leaving waits for them all (none outlives the pack)."""

    def __init__(self) -> None:
        self.jobs: list[_Job[Any]] = []

    def submit(self, fn: Callable[..., _T], *args: object) -> _Job[_T]:
        job = _Job(lambda: fn(*args))
        self.jobs.append(job)
        return job

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        for job in self.jobs:
            job.thread.join()


def _gzip_file(tar_path: Path, temp: Path, stop: threading.Event) -> Digests:
    gzip_file(tar_path, temp)
    if stop.is_set():
        raise Cancelled
    return file_digests(temp)


def _put(q: queue.Queue[_T], item: _T, worker: _Job[Any]) -> None:
    """Block until ``item`` is queued, unless the worker ended (its error is raised)."""
    while True:
        try:
            q.put(item, timeout=_POLL)
            return
        except queue.Full:
            if worker.done():
                worker.result()  # raises the worker's exception
                raise Cancelled from None  # it ended without one: it was stopped


def _get(q: queue.Queue[_T], stop: threading.Event) -> _T:
    while True:
        try:
            return q.get(timeout=_POLL)
        except queue.Empty:
            if stop.is_set():
                raise Cancelled from None


class _GzipChild:
    """The tar.gz compressed by a child interpreter as the tar is written; the pipe is
    fed by a thread, so the tar writer never waits for the child's compressor."""

    def __init__(self, proc: subprocess.Popen[bytes], pool: _Pool, stop: threading.Event) -> None:
        self.proc, self.pool, self.stop = proc, pool, stop
        self.streaming = True  # cleared once the memory bound would be passed
        self.queue: queue.Queue[bytes | None] = queue.Queue(_QUEUED)
        self.feeder = pool.submit(self._feed)

    @classmethod
    def start(cls, temp: Path, pool: _Pool, stop: threading.Event) -> _GzipChild | None:
        """The child, or None where no interpreter can be started (a frozen app)."""
        if not sys.executable or getattr(sys, "frozen", False):
            return None
        # -I leaves the user's site-packages out too: name where our cramjam lives.
        where = os.path.dirname(os.path.dirname(os.path.abspath(cramjam.__file__)))
        try:
            import subprocess  # here: small builds never start a child

            proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _CHILD, os.fspath(temp), where, str(GZIP_CHILD_RSS)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return None
        return cls(proc, pool, stop)

    def put(self, chunk: bytes) -> None:
        """Hand the child a CHUNK of the tar; a child that died is given up on."""
        try:
            _put(self.queue, chunk, self.feeder)
        except (OSError, Cancelled):
            if self.stop.is_set():
                raise
            self.abandon()

    def _feed(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        with stdin:
            while (chunk := _get(self.queue, self.stop)) is not None:
                stdin.write(chunk)

    def abandon(self) -> None:
        """Past the memory bound: stop the child; the finished tar is compressed instead."""
        self.streaming = False
        self.kill()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def finish(self) -> _Job[Digests]:
        """Close the pipe; the child's digests once it has written the tar.gz."""
        _put(self.queue, None, self.feeder)
        return self.pool.submit(self._collect)  # runs once the feeder is done

    def _collect(self) -> Digests:
        self.feeder.result()
        out = _read_all(self.proc.stdout)
        if self.proc.wait() != 0:
            raise OSError(f"the gzip child exited with status {self.proc.returncode}")
        md5, sha256, size = out.split()  # a ValueError if the child said something else
        return Digests(md5, sha256, int(size))


def _read_all(stream: IO[bytes] | None) -> str:
    assert stream is not None
    with stream:
        return stream.read(4096).decode("ascii", "replace")


class _TarSink:
    """The tar writer's output: the tar file and, in CHUNKs, the gzip child's pipe."""

    def __init__(self, handle: BinaryIO, child: _GzipChild | None) -> None:
        self.handle, self.child = handle, child
        self.pending = bytearray()

    def write(self, data: Buffer, /) -> int:
        self.pending += data
        if len(self.pending) >= CHUNK:
            self.flush()
        return memoryview(data).nbytes

    def flush(self) -> None:
        if not self.pending:
            return
        chunk = bytes(self.pending)
        self.pending.clear()
        self.handle.write(chunk)
        if self.child is not None and self.child.streaming:
            self.child.put(chunk)

    def close(self) -> None:
        self.flush()
        self.handle.flush()


class _Feed:
    """The tar writer's ``on_member``: each member into the zip as soon as it is in the
    tar, unless there is no streaming gzip child (then ``deferred``: the zip is written
    from the finished tar, while it is compressed); without /proc (the child cannot
    watch its RSS), the child's memory bound."""

    def __init__(
        self,
        zipper: ZipWriter | None,
        sink: _TarSink,
        child: _GzipChild | None,
        *,
        defer: bool,
    ) -> None:
        self.zipper, self.sink, self.child = zipper, sink, child
        self.defer = defer
        self.deferred: list[Entry] = []
        self.data = 0

    def add(self, entry: Entry, data: bytes | None) -> None:
        self.data += entry.size
        child = self.child
        over = not _MEASURES_RSS and self.data > GZIP_CHILD_DATA
        if over and child is not None and child.streaming:
            child.abandon()
        if child is not None and not child.streaming:
            self.defer = True  # the child gave up: compressed from the finished tar
        zipper = self.zipper
        if zipper is None:
            return
        if self.defer:
            self.deferred.append(entry)
            return
        if data is None:
            self.sink.flush()  # the zip writer reads a large member back from the tar file
            self.sink.handle.flush()
        zipper.add(entry, data)


def _signals_to_main() -> None:
    """Worker threads block SIGINT and SIGTERM, so the kernel delivers them to the
    main thread, whose wait they interrupt at once (Python runs handlers only there)."""
    import signal

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})

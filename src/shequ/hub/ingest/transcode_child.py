"""Write one byte range of a text file as UTF-8 into a pipe, in a process.

    python -I transcode_child.py SOURCE FIFO ENCODING START END PARENT_PID

Run by ``readers_text.Transcoder`` so that decoding (GB18030, GBK, UTF-16 …), which is
single-threaded Python work, runs beside DuckDB reading the other end of the pipe
instead of before it; with the input split into ranges at record boundaries, one process
per range feeds one of DuckDB's parallel scans. UTF-8 is copied as it is (DuckDB checks
it). Only the standard library is imported: the process starts in a few milliseconds.
Memory is bounded by the chunk size.

Exit status: 0 done, 3 undecodable bytes (the parent finds and reports where),
4 the reader went away (the parent stopped reading), 5 the reader never came.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import sys
import time

CHUNK_SIZE = 4 * 1024 * 1024
OPEN_TIMEOUT = 600.0  # seconds to wait for the reader to open the pipe


def _open_pipe(path: str, parent: int) -> int:
    """Open the FIFO for writing once a reader has it open; give up if the parent died."""
    deadline = time.monotonic() + OPEN_TIMEOUT
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            if os.getppid() != parent or time.monotonic() > deadline:
                sys.exit(5)
            time.sleep(0.002)
            continue
        os.set_blocking(fd, True)
        return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _copy(src: int, fd: int, start: int, end: int) -> None:
    offset = start
    while offset < end:
        sent = os.sendfile(fd, src, offset, min(CHUNK_SIZE, end - offset))
        if sent == 0:
            return
        offset += sent


def _decode(src: int, fd: int, encoding: str, start: int, end: int) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    at_start = start == 0
    offset = start
    while True:
        chunk = os.pread(src, min(CHUNK_SIZE, end - offset), offset) if offset < end else b""
        offset += len(chunk)
        try:
            text = decoder.decode(chunk, not chunk)
        except UnicodeDecodeError:
            return False
        if at_start and text:
            at_start = False
            text = text.removeprefix("\ufeff")
        if text:
            _write_all(fd, text.encode("utf-8"))
        if not chunk:
            return True


def main(source: str, fifo: str, encoding: str, start: int, end: int, parent: int) -> int:
    src = os.open(source, os.O_RDONLY)
    fd = _open_pipe(fifo, parent)
    try:
        if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):  # DuckDB skips a BOM
            _copy(src, fd, start, end)
        elif not _decode(src, fd, encoding, start, end):
            return 3
        return 0
    except BrokenPipeError:
        return 4
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        os.close(src)


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args[0], args[1], args[2], int(args[3]), int(args[4]), int(args[5])))

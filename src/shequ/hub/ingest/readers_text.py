"""Text encodings: detect them and stream any of them to a UTF-8 file DuckDB can read.

Government platforms export CSV in UTF-8 (with or without a BOM), GBK or GB18030, and
Excel's "Unicode text" in UTF-16. DuckDB reads only UTF-8, so anything else is
transcoded chunk by chunk (bounded memory) into the input's workdir. When the ingestion
engine streams the input (``stage_text(..., stream=True)``), nothing is decoded in this
process: UTF-8 is left to DuckDB to check, and a large file is cut at record boundaries
into parts (``split_points``) that separate processes (``Transcoder``) feed to DuckDB
through pipes, transcoding them on the way unless they are UTF-8.
"""

from __future__ import annotations

import codecs
import hashlib
import mmap
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import charset_normalizer
import numpy as np
from django.conf import settings

from . import transcode_child
from .readers_util import CHUNK_SIZE
from .staging import IngestError

SAMPLE_SIZE = 1024 * 1024  # bytes looked at to detect the encoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "gb18030": "GB18030",
    "gbk": "GBK",
    "gb2312": "GB2312",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "big5": "Big5",
}
UTF8 = ("utf-8", "utf-8-sig")


def encoding_label(encoding: str) -> str:
    return _LABELS.get(encoding, encoding.upper())


def normalize_encoding(encoding: str) -> str:
    """Python's canonical codec name ("GBK" → "gbk", "cp936" → "gbk", "UTF8" → "utf-8")."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise IngestError(f"unknown text encoding {encoding!r}") from None


def _decode(data: bytes, encoding: str, final: bool, errors: str = "strict") -> str:
    return codecs.getincrementaldecoder(encoding)(errors).decode(data, final)


def _decodes(data: bytes, encoding: str, final: bool) -> bool:
    try:
        _decode(data, encoding, final)
    except UnicodeDecodeError:
        return False
    return True


def _mostly(data: bytes, encoding: str, final: bool) -> float:
    """Share of undecodable sequences among the non-ASCII characters (lower is better)."""
    text = _decode(data, encoding, final, "replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    good = non_ascii - bad
    return 1.0 if good <= 0 or bad > max(2, good // 50) else bad / good


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """The encoding of a file from its first bytes (*complete*: the sample is the whole file).

    In order: a byte order mark; valid UTF-8 → "utf-8"; valid GB18030 (which covers GBK
    and GB2312) → "gb18030"; a sample that is UTF-8 or GB18030 except for a few bad
    bytes → that encoding, so that reading reports where the bad bytes are instead of
    silently guessing another encoding; charset-normalizer as the last resort.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    for name in ("utf-8", "gb18030"):
        if _decodes(sample, name, complete):
            return name
    ratio, name = min((_mostly(sample, n, complete), n) for n in ("gb18030", "utf-8"))
    if ratio < 1.0:
        return name
    guess = charset_normalizer.from_bytes(sample).best()
    if guess is None:
        raise IngestError(
            "cannot tell the text encoding of the file (not UTF-8 or GB18030); "
            "pass the encoding explicitly"
        )
    return normalize_encoding(guess.encoding)


def _decode_error(
    exc: UnicodeDecodeError,
    encoding: str,
    state: tuple[bytes, int],
    chunk: bytes,
    offset: int,
    lines: int,
) -> IngestError:
    """An IngestError naming the byte offset (0-based) and line (1-based) of bad bytes."""
    pending = state[0]  # exc.object is pending + chunk
    in_chunk = exc.start - len(pending)
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    decoder.setstate(state)
    before = decoder.decode(chunk[: max(in_chunk, 0)], False)
    label = encoding_label(encoding)
    bad = exc.object[exc.start : exc.end][:8].hex(" ")
    return IngestError(
        f"invalid {label} bytes at byte {offset + in_chunk} "
        f"(line {lines + before.count(chr(10)) + 1}): {bad} ({exc.reason}); "
        f"the file is damaged or not {label}"
    )


def transcode(
    src: BinaryIO, dst: BinaryIO | None, encoding: str, *, chunk_size: int = CHUNK_SIZE
) -> tuple[int, str]:
    """Stream *src* in *encoding* to UTF-8 in *dst*; return (bytes read, SHA-256 of them).

    With ``dst=None`` the input is only validated and hashed. A leading byte order mark
    is dropped. Memory use is bounded by *chunk_size*. Bad bytes raise an IngestError
    such as "invalid GB18030 bytes at byte 1234 (line 17): ff 7f (illegal multibyte
    sequence)" (byte offsets are 0-based, lines 1-based).
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    digest = hashlib.sha256()
    offset = lines = 0
    at_start = True
    while True:
        chunk = src.read(chunk_size)
        final = not chunk
        digest.update(chunk)
        state = decoder.getstate()
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise _decode_error(exc, encoding, state, chunk, offset, lines) from None
        if at_start and text:
            at_start = False
            text = text.removeprefix("\ufeff")
        lines += text.count("\n")
        if dst is not None and text:
            dst.write(text.encode("utf-8"))
        offset += len(chunk)
        if final:
            return offset, digest.hexdigest()


class Transcoder:
    """A process writing a byte range of a file as UTF-8 into a FIFO made by the caller
    (see ``transcode_child``).

    Whoever reads the FIFO gets the whole text only if ``finish()`` then returns
    without raising: a process that met undecodable bytes stops early, and the reader
    just sees the end of the text. ``finish`` then names the byte offset and line, as
    ``transcode`` does for a file transcoded in place.
    """

    def __init__(self, source: Path, fifo: Path, encoding: str, start: int, end: int) -> None:
        self.source, self.fifo, self.encoding = source, fifo, encoding
        script = transcode_child.__file__
        args = [script, str(source), str(fifo), encoding, str(start), str(end), str(os.getpid())]
        self.proc = subprocess.Popen(
            [sys.executable, "-I", *args], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def finish(self, read_whole: bool = True) -> None:
        """Wait for the process; IngestError if it met bytes it cannot decode.

        *read_whole*: the reader reached the end of the pipe. Otherwise the reader failed
        and the process is stopped, unless it stopped first at undecodable bytes (which
        is then the error to report: the reader only saw the text end early).
        """
        try:
            self.proc.wait(timeout=60 if read_whole else 1)
        except subprocess.TimeoutExpired:
            self.stop()
            if read_whole:
                raise IngestError("transcoding the input to UTF-8 did not finish") from None
            return
        code = self.proc.returncode
        if code == 3:
            with self.source.open("rb") as f:
                transcode(f, None, self.encoding)  # raises, naming where the bad bytes are
        if read_whole and code != 0:
            stderr = self.proc.stderr.read() if self.proc.stderr else b""
            detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [str(code)]
            raise IngestError(f"transcoding the input to UTF-8 failed: {detail[0]}")
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@dataclass
class TextFile:
    """A text input made readable for DuckDB."""

    path: Path  # UTF-8 (the input itself, or its transcoded copy in the workdir)
    encoding: str  # of the input
    bytes_read: int
    sha256: str  # "" while ``hashing`` computes it
    head: str  # the first ~1 MB of text, without a BOM
    complete: bool  # head is all of the text
    notes: list[str] = field(default_factory=list)
    # False: path is the input itself and its bytes were not checked (DuckDB checks them
    # as it reads; ``decoding_error`` then says where they are bad).
    verified: bool = True
    source: Path = Path()  # the input as given
    # Streamed input (split at record boundaries for parallel reading): parts[i] is a FIFO
    # that feeders[i], once start() ran, fills with bytes splits[i]:splits[i + 1] of the
    # source, as UTF-8. (path is parts[0]; for UTF-8 read in one piece, parts is empty.)
    parts: list[Path] = field(default_factory=list)
    splits: list[int] = field(default_factory=list)
    feeders: list[Transcoder] = field(default_factory=list)
    hashing: Future[str] | None = None

    def start(self) -> None:
        """Start feeding the parts (pipes), just before DuckDB reads them.

        Each part is fed as DuckDB reads it, transcoded on the way unless it is UTF-8.
        (Transcoding into files first and reading them after took 1.2 s longer for 10
        million GB18030 rows: both cores were busy either way, and the files cost writes.)
        """
        self.stop()
        self.feeders = []
        try:
            for i, part in enumerate(self.parts):
                start, end = self.splits[i], self.splits[i + 1]
                self.feeders.append(Transcoder(self.source, part, self.encoding, start, end))
        except BaseException:
            self.stop()
            raise

    def finish(self, read_whole: bool = True) -> None:
        """Wait for the feeders (see ``Transcoder.finish``); the first error wins."""
        try:
            for feeder in self.feeders:
                feeder.finish(read_whole)
        finally:
            self.stop()

    def stop(self) -> None:
        for feeder in self.feeders:
            feeder.stop()

    def refeed(self, part: int, fifo: Path) -> Transcoder:
        """Feed part *part* again, into new *fifo* (to count its rows after the fact)."""
        os.mkfifo(fifo)
        start, end = self.splits[part], self.splits[part + 1]
        return Transcoder(self.source, fifo, self.encoding, start, end)

    def decoding_error(self) -> IngestError | None:
        """The error naming the first undecodable bytes of the input, if it has any."""
        try:
            with self.source.open("rb") as f:
                transcode(f, None, self.encoding)
        except IngestError as exc:
            return exc
        return None


def stage_text(
    path: Path, workdir: Path, encoding: str | None, *, stream: bool = False
) -> TextFile:
    """Detect (unless given) the encoding of *path* and make a UTF-8 copy if needed.

    UTF-8 input is read in place (after checking every byte is valid UTF-8). If the first
    megabyte was plain ASCII and a later byte is not UTF-8, the file is read as GB18030.

    With *stream* (the ingestion engine) nothing is decoded here: UTF-8 input is only
    hashed and DuckDB checks its bytes as it reads (``verified`` is False); other
    encodings, and large UTF-8 files, are fed to DuckDB in parts by ``Transcoder``
    processes once ``TextFile.start()`` is called. A UTF-8 file whose first megabyte is
    plain ASCII is still checked here, since it may turn out to be GB18030.
    """
    with path.open("rb") as f:
        sample = f.read(SAMPLE_SIZE)
        complete = not f.read(1)
    if not sample:
        raise IngestError("the file is empty")
    if encoding:
        chosen = normalize_encoding(encoding)
    else:
        chosen = detect_encoding(sample, complete=complete)
    ascii_start = not encoding and sample.isascii() and not complete
    if stream and not (chosen in UTF8 and ascii_start):
        return _stream_text(path, workdir, chosen, sample, complete)
    notes: list[str] = []
    target = path
    try:
        if chosen in UTF8:
            with path.open("rb") as f:
                size, sha = transcode(f, None, chosen)
        else:
            target = workdir / "input-utf8.txt"
            with path.open("rb") as f, target.open("wb") as out:
                size, sha = transcode(f, out, chosen)
    except IngestError:
        if chosen not in UTF8 or not ascii_start:
            raise
        chosen, target = "gb18030", workdir / "input-utf8.txt"
        notes.append("the first 1 MB is plain ASCII but later bytes are not UTF-8: read as GB18030")
        with path.open("rb") as f, target.open("wb") as out:
            size, sha = transcode(f, out, chosen)
    if chosen not in UTF8:
        notes.append(f"transcoded from {encoding_label(chosen)} to UTF-8")
    with target.open("rb") as f:
        head_bytes = f.read(SAMPLE_SIZE)
        head_complete = not f.read(1)
    head = _decode(head_bytes, "utf-8", head_complete, "replace").removeprefix("\ufeff")
    return TextFile(target, chosen, size, sha, head, head_complete, notes, source=path)


def _stream_text(
    path: Path, workdir: Path, encoding: str, sample: bytes, complete: bool
) -> TextFile:
    if not _decodes(sample, encoding, complete):
        with path.open("rb") as f:
            transcode(f, None, encoding)  # raises, naming where the bad bytes are
    size = path.stat().st_size
    head = _decode(sample, encoding, complete, "replace").removeprefix("\ufeff")
    notes = [] if encoding in UTF8 else [f"transcoded from {encoding_label(encoding)} to UTF-8"]
    splits = split_points(path, encoding, size)
    text = TextFile(path, encoding, size, "", head, complete, notes, verified=False, source=path)
    text.hashing = _hash_beside(path)
    if encoding in UTF8 and len(splits) == 2:
        return text  # DuckDB reads the file itself
    text.splits = splits
    text.parts = [workdir / f"input-{i}.fifo" for i in range(len(splits) - 1)]
    for fifo in text.parts:
        os.mkfifo(fifo)
    text.path = text.parts[0]
    return text


SPLIT_MIN_BYTES = 16 * 1024 * 1024  # smaller inputs are read in one piece
PART_BUFFER_BYTES = 2 * 64 * 1024 * 1024
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
# Encodings in which a newline or quote byte is always that character (never part of a
# multi-byte one), so that a byte offset can be a record boundary.
_SPLITTABLE = ("utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312")


def split_points(path: Path, encoding: str, size: int) -> list[int]:
    """Byte offsets cutting *path* into record-aligned parts, one per DuckDB thread.

    ``row_number() OVER ()`` numbers rows in one thread; reading N parts, each numbered
    on its own, lets N threads work. A cut goes after a newline that is outside quotes
    (an even number of ``"`` before it: CSV doubles quotes inside quoted fields).
    """
    threads = max(1, int(settings.HUB_THREADS))
    # Each part's reader holds buffers of up to 2 x 64 MB (the longest row): keep them
    # within half of DuckDB's memory limit.
    memory = memory_bytes(str(settings.HUB_MEMORY_LIMIT))
    parts = min(threads, size // SPLIT_MIN_BYTES, memory // (2 * PART_BUFFER_BYTES))
    if parts < 2 or encoding not in _SPLITTABLE:
        return [0, size]
    cuts = [0]
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        quotes, counted = 0, 0
        for k in range(1, parts):
            pos = max(size * k // parts, cuts[-1])
            quotes += _count_quotes(data, counted, pos)
            while True:
                newline = data.find(b"\n", pos)
                if newline < 0:
                    return [*cuts, size]
                quotes += _count_quotes(data, pos, newline)
                pos = newline + 1
                if quotes % 2 == 0:
                    break
            counted = pos
            if pos >= size:
                break
            cuts.append(pos)
    return [*cuts, size]


def _count_quotes(data: mmap.mmap, start: int, end: int) -> int:
    """The ``"`` bytes in data[start:end], counted in place (no copy: 3x faster)."""
    count = 0
    for i in range(start, end, CHUNK_SIZE):
        view = np.frombuffer(data, np.uint8, min(CHUNK_SIZE, end - i), i)
        count += int(np.count_nonzero(view == 34))  # ord('"')
        del view  # the mapping cannot be closed while a view of it exists
    return count


def memory_bytes(text: str) -> int:
    """A DuckDB memory setting ("1GB", "512MiB") in bytes; 1 GB if it cannot be read."""
    found = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", text)
    unit = _UNITS.get(found[2].lower()) if found else None
    return int(float(found[1]) * unit) if found and unit else 10**9


def _hash_beside(path: Path) -> Future[str]:
    """The SHA-256 of a file, computed by a thread while DuckDB reads the file.

    hashlib releases the interpreter lock while it hashes (and reading does too), so the
    hash costs the run little time; ``hashlib.file_digest`` reads into one buffer.
    """
    future: Future[str] = Future()

    def work() -> None:
        try:
            with path.open("rb") as f:
                future.set_result(hashlib.file_digest(f, "sha256").hexdigest())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name="shequ-hash", daemon=True).start()
    return future

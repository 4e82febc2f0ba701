"""Text encodings: detect them and stream any of them to a UTF-8 file DuckDB can read.

Government platforms export CSV in UTF-8 (with or without a BOM), GBK or GB18030, and
Excel's "Unicode text" in UTF-16. DuckDB reads only UTF-8, so anything else is
transcoded chunk by chunk (bounded memory) into the input's workdir.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import charset_normalizer

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


@dataclass
class TextFile:
    """A text input made readable for DuckDB."""

    path: Path  # UTF-8 (the input itself, or its transcoded copy in the workdir)
    encoding: str  # of the input
    bytes_read: int
    sha256: str
    head: str  # the first ~1 MB of text, without a BOM
    complete: bool  # head is all of the text
    notes: list[str] = field(default_factory=list)


def stage_text(path: Path, workdir: Path, encoding: str | None) -> TextFile:
    """Detect (unless given) the encoding of *path* and make a UTF-8 copy if needed.

    UTF-8 input is read in place (after checking every byte is valid UTF-8). If the first
    megabyte was plain ASCII and a later byte is not UTF-8, the file is read as GB18030.
    """
    with path.open("rb") as f:
        sample = f.read(SAMPLE_SIZE)
        complete = not f.read(1)
    if not sample:
        raise IngestError("the file is empty")
    notes: list[str] = []
    if encoding:
        chosen = normalize_encoding(encoding)
    else:
        chosen = detect_encoding(sample, complete=complete)
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
        if encoding or chosen not in UTF8 or not sample.isascii():
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
    return TextFile(target, chosen, size, sha, head, head_complete, notes)

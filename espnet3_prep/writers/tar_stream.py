"""Tar files written as a stream, member by member, with reproducible bytes.

:class:`TarStream` writes what ``tarfile.open(mode="w|", format=PAX_FORMAT)`` +
``addfile(TarInfo(name, size))`` writes (mtime 0, uid/gid 0, no owner names; pax
headers for long or non-ASCII names) — ``tests/writers/storage`` compares the bytes — but takes
each member's data as buffers (e.g. an array's memory) instead of copying it through a
file object, and builds plain ustar headers directly.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from espnet3_prep.storage.writeback import KICK_BYTES, start_writeback

_USTAR_TAIL = b"0" + b"\0" * 100 + tarfile.POSIX_MAGIC + b"\0" * (64 + 16 + 155)
# type, linkname, magic + version, then uname, gname, devmajor/minor (empty), prefix
_FIXED = b"0000644\0" + b"0000000\0" * 2  # mode, uid, gid


def ustar_header(name: str, size: int) -> bytes:
    """``TarInfo(name, size=size).tobuf(PAX_FORMAT)`` (mtime 0), built directly for the
    plain case (ASCII name < 100 bytes, size < 8 GiB); tarfile itself otherwise."""
    raw = name.encode("ascii", "replace")
    if len(raw) >= 100 or not name.isascii() or size >= 8 ** 11:
        info = tarfile.TarInfo(name)
        info.size = size
        return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    head = raw.ljust(100, b"\0") + _FIXED + b"%011o\0" % size + b"00000000000\0"
    checksum = 256 + sum(head) + sum(_USTAR_TAIL)  # the checksum field counts as spaces
    return head + b"%06o\0 " % checksum + _USTAR_TAIL + b"\0" * 12


class TarStream:
    """A ustar/pax tar written straight to a file: one header, then the member's data
    from its own buffers (no copies), as ``tarfile`` lays it out (mtime 0, uid/gid 0, no
    owner names: reproducible). ``tarfile.addfile`` copies every member through 16 KB
    reads of a file object instead."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._offset = 0
        self._written_back = 0

    def add(self, name: str, *chunks: bytes | memoryview) -> None:
        """Append one member made of ``chunks``."""
        size = sum(len(chunk) for chunk in chunks)
        header = ustar_header(name, size)
        padding = -size % tarfile.BLOCKSIZE
        self._file.write(header)
        for chunk in chunks:
            self._file.write(chunk)
        self._file.write(b"\0" * padding)
        self._offset += len(header) + size + padding
        if self._offset - self._written_back >= KICK_BYTES:  # the commit's fsync waits less
            self._file.flush()
            start_writeback(self._file.fileno())
            self._written_back = self._offset

    def close(self) -> None:
        """End-of-archive blocks, padded to tarfile's record size (idempotent)."""
        if self._file.closed:
            return
        end = self._offset + 2 * tarfile.BLOCKSIZE
        self._file.write(b"\0" * (2 * tarfile.BLOCKSIZE + (-end % tarfile.RECORDSIZE)))
        self._file.close()


def npy_chunks(feats: np.ndarray) -> tuple[bytes, memoryview]:
    """The bytes of ``np.save(feats as float32)``: its header and the array's buffer."""
    array = np.ascontiguousarray(feats, dtype=np.float32)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(
        array))
    return header.getvalue(), memoryview(array).cast("B")

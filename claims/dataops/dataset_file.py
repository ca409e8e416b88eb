"""A data-set file (see claims.dataops.backup) read as a stream, so memory holds a batch, not the file.

``DatasetFile.check`` reads the file through once, as json.loads would, keeping only the header
(format, version, users) and where each list starts; a file that is not JSON or not a data set is
refused there with dataset_loads' messages. ``DatasetFile.batches`` then reads one list again
from where it starts, ``size`` rows at a time, as often as the restore needs it.

The lists are read with the standard library's decoder, one row at a time (``raw_decode``): a
row is small, the file is not.
"""

import codecs
import json
from collections.abc import Iterator
from itertools import batched
from typing import Any, BinaryIO

from claims.dataops.backup import DatasetError, check_document

CHUNK = 1 << 16
_WHITESPACE = " \t\n\r"
# A decoding error this close to the end of what was read may be a row cut in two: read on.
_MARGIN = 16


class _JsonStream:
    """JSON text read from ``offset`` of a binary file, a value (or a list's row) at a time."""

    def __init__(self, file: BinaryIO, where: str, offset: int = 0) -> None:
        self.file, self.where = file, where
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.scanner = json.JSONDecoder()
        self.next_byte = offset  # where the next read starts (another stream may have moved the file)
        self.buffer, self.pos, self.eof = "", 0, False
        # What was dropped from the front of the buffer: bytes, characters, lines; for positions.
        self.dropped_bytes, self.dropped_chars, self.dropped_lines, self.last_newline = offset, 0, 0, -1

    def _fill(self, at_least: int = CHUNK) -> None:
        if self.pos > CHUNK:
            dropped = self.buffer[: self.pos]
            self.dropped_bytes += len(dropped.encode())
            self.dropped_chars += len(dropped)
            if (newlines := dropped.count("\n")) > 0:
                self.dropped_lines += newlines
                self.last_newline = self.dropped_chars - len(dropped) + dropped.rindex("\n")
            self.buffer, self.pos = self.buffer[self.pos :], 0
        self.file.seek(self.next_byte)
        data = self.file.read(max(at_least, CHUNK))
        try:
            self.buffer += self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise DatasetError(
                [f"{self.where} is not UTF-8 text (byte {self.next_byte + exc.start})"]
            ) from None
        self.next_byte += len(data)
        self.eof = not data

    def fail(self, message: str, pos: int | None = None) -> None:
        """Raise json.loads' message for this point of the file."""
        pos = self.pos if pos is None else pos
        newline = self.buffer.rfind("\n", 0, pos)
        line = self.dropped_lines + self.buffer.count("\n", 0, pos) + 1
        column = pos - newline if newline >= 0 else self.dropped_chars + pos - self.last_newline
        raise DatasetError(
            [
                f"{self.where} is not valid JSON: {message}: line {line} column {column} "
                f"(char {self.dropped_chars + pos})"
            ]
        )

    def peek(self) -> str:
        """The next character that is not whitespace, or "" at the end."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer) or self.eof:
                return self.buffer[self.pos : self.pos + 1]
            self._fill()

    def offset(self) -> int:
        """The byte offset of the next value in the file."""
        self.peek()
        return self.dropped_bytes + len(self.buffer[: self.pos].encode())

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.scanner.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self.buffer) - _MARGIN or exc.msg.startswith("Unterminated string")
                if self.eof or not cut:
                    self.fail(exc.msg, exc.pos)
                self._fill(len(self.buffer))  # twice the size each time: a long row is read in few steps
                continue
            if end == len(self.buffer) and not self.eof:  # a number may go on in the next chunk
                self._fill()
                continue
            self.pos = end
            return value

    def _expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            self.fail(message)
        self.pos += 1

    def rows(self) -> Iterator[Any]:
        """The values of the list that comes next."""
        self._expect("[", "Expecting value")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.peek() == "]":
                self.pos += 1
                return
            self._expect(",", "Expecting ',' delimiter")

    def names(self) -> Iterator[str]:
        """The names of the object that comes next; the caller reads each one's value."""
        self._expect("{", "Expecting value")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                self.fail("Expecting property name enclosed in double quotes")
            name = self.value()
            self._expect(":", "Expecting ':' delimiter")
            yield name
            if self.peek() == "}":
                self.pos += 1
                return
            self._expect(",", "Expecting ',' delimiter")

    def skip(self) -> None:
        """Read past the value that comes next, a row at a time."""
        if self.peek() == "[":
            for _ in self.rows():
                pass
        elif self.peek() == "{":
            for _ in self.names():
                self.skip()
        else:
            self.value()

    def end(self) -> None:
        if self.peek():
            self.fail("Extra data")


class DatasetFile:
    """A data-set file open for reading in binary; ``check`` it, then read its lists in batches."""

    def __init__(self, file: BinaryIO, *, where: str = "the file") -> None:
        self.file, self.where = file, where
        self.users: list[Any] = []
        self.starts: dict[str, int] = {}  # list name (or history_of_deleted.<part>) -> byte offset

    def check(self) -> None:
        """Read the file through; raise DatasetError as dataset_loads would if it is not a data set."""
        stream = _JsonStream(self.file, self.where)
        if stream.peek() != "{":
            stream.skip()
            stream.end()
            check_document(None, where=self.where)
        # The document with each list left empty: what check_document needs to see.
        outline: dict[str, Any] = {}
        for name in stream.names():
            if name == "history_of_deleted" and stream.peek() == "{":
                outline[name] = {}
                for part in stream.names():
                    outline[name][part] = self._list(stream, f"{name}.{part}")
            elif name != "users":
                outline[name] = self._list(stream, name)
            else:
                outline[name] = stream.value()
        stream.end()
        check_document(outline, where=self.where)
        self.users = outline["users"]

    def _list(self, stream: _JsonStream, name: str) -> Any:
        if stream.peek() == "[":
            self.starts[name] = stream.offset()
            stream.skip()
            return []
        if stream.peek() == "{":
            stream.skip()
            return {}
        return stream.value()

    def batches(self, name: str, size: int) -> Iterator[list[Any]]:
        """The rows of list ``name`` (``history_of_deleted.<part>`` for those), ``size`` at a time."""
        for batch in batched(_JsonStream(self.file, self.where, self.starts[name]).rows(), size):
            yield list(batch)

"""Reading and preparing a large file's batches in a separate process.

Parsing, mapping and validating a row is pure Python; so is much of writing it. In one process
they share one interpreter lock, so a reader thread barely overlaps the writer. A child process
(`python -m` this module) reads the file and sends prepared batches, pickled, through its
stdout while the import's own process writes the previous batch: two cores instead of one.

The child imports no Django and never touches the database. It runs at most a few batches
ahead of the writer (it blocks when the pipe is full), so memory stays bounded, and it dies
with its parent: a killed import leaves it a closed pipe, on which it stops.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from accord.integrations.importing.batches import BatchReader, PreparedBatch, RowPreparer
from accord.integrations.importing.mapping import ColumnMapping
from accord.integrations.importing.readers import FileProblem, open_table

_LENGTH = struct.Struct("!Q")


@dataclass(frozen=True)
class ReaderSpec:
    """Everything the child needs, as plain picklable data: the file, the mapping, where to
    start, and how to build the row preparer (a Django-free class and its arguments)."""

    path: str
    mapping: dict[str, Any]
    resume_from: int
    preparer: Callable[..., RowPreparer]
    preparer_args: dict[str, Any]


def prepared_in_process(spec: ReaderSpec) -> Iterator[PreparedBatch]:
    """The file's prepared batches, computed by a child process. A `FileProblem` in the child
    is raised here, as if the file had been read in this process."""
    child = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", __name__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    assert child.stdin is not None and child.stdout is not None
    _widen_pipe(child.stdout)
    try:
        child.stdin.write(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))
        child.stdin.close()
        while True:
            message = _receive(child.stdout)
            if message[0] == "batch":
                yield message[1]
            elif message[0] == "done":
                return
            elif message[0] == "file-problem":
                raise FileProblem(message[1], message[2])
            else:
                raise RuntimeError(f"The import's reader process failed:\n{message[1]}")
    finally:
        if child.poll() is None:
            child.kill()  # the import stopped early (an error, or its consumer went away)
        child.stdout.close()
        child.wait()


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let the child run a few batches ahead (a batch is under a megabyte), so that a slow
    moment on either side does not stall the other. Linux only; elsewhere the default pipe."""
    try:
        import fcntl  # not on Windows
    except ImportError:
        return
    set_size: int | None = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    for size in (4 << 20, 1 << 20):
        try:
            fcntl.fcntl(stream.fileno(), set_size, size)
            return
        except OSError:  # above the allowed maximum (/proc/sys/fs/pipe-max-size)
            continue


def _receive(stream: IO[bytes]) -> tuple[Any, ...]:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise RuntimeError("The import's reader process ended without finishing the file.")
    payload: tuple[Any, ...] = pickle.loads(stream.read(_LENGTH.unpack(header)[0]))  # noqa: S301 - our own child
    return payload


def _send(stream: IO[bytes], message: tuple[Any, ...]) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _child_main() -> None:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the batch stream
    spec: ReaderSpec = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - from our parent
    try:
        table = open_table(Path(spec.path))
        preparer = spec.preparer(**spec.preparer_args)
        reader = BatchReader(
            table, ColumnMapping.from_json(spec.mapping), preparer, resume_from=spec.resume_from
        )
        for batch in reader.batches():
            _send(out, ("batch", batch))
    except BrokenPipeError:
        return  # the parent is gone
    except FileProblem as exc:
        _send(out, ("file-problem", exc.message, exc.line))
        return
    except Exception:  # reported to the parent, which raises it
        _send(out, ("crash", traceback.format_exc()))
        return
    _send(out, ("done",))


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):  # the parent is gone
        _child_main()

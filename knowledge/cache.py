"""The built knowledge, kept on disk between processes so a one-shot `sotp ask` need not rebuild it.

Building the corpus index analyses some 7,000 texts (most of a one-shot ask);
unpickling the built object takes a few tens of milliseconds. The object is
cached whole and generically: whatever the builder returns, with every field
anyone adds to it, as long as it pickles (if it does not, it is used uncached and
a warning says why).

Large arrays (the matcher's weights are some 25 MB of the 30) are written out of
band (pickle protocol 5) after the pickle, each at a 64-byte boundary, and loaded
as read-only views of a memory map of the file: nothing copies them, and every
process that loads the cache shares their pages. The pickle is checked with
sha256, each array with its length and crc32 (an array holds numbers, never code).

Stale means any input may have changed. The key hashes every file of the bot,
handlers and knowledge packages, code and data alike (about 250 files, a few
milliseconds): more than the index reads, so that a new data file or a new module
another part of the code adds to the build can never be missed. The package
version, the Python version and the pickle protocol are part of the key, and a
third-party module whose objects are in the pickle is checked against the version
it was pickled with before loading.

Where it is read from, and why only there: loading a pickle runs code, so whoever
can write the file can run code as the assistant. The file therefore lives in one
folder fixed by where the code is installed, var/cache/ beside the packages
(git-ignored; `make clean` removes it), and nowhere else: no environment variable,
configuration key, command-line flag, message or working directory can name
another. A file that is a symlink, is not owned by this user or is writable by
others is refused. Files are written 0600 in a 0700 folder, to a temporary file
renamed over the old one, so a reader sees the old file or the new, never half.
A cache that cannot be read, is corrupt or refused is rebuilt with a log line;
it never stops the assistant.

What was checked once is not checked again while nothing changed. Hashing every
input file and the arrays' crc32 were some 15-20 ms of a one-shot `sotp ask`,
paid on every start for the same answer. After a load that checked both, a small JSON
note beside the cache (`<name>.checked`, 0600, written by a rename) keeps a
digest of every input file's name, size and modification time (nanoseconds) with
the key they hashed to, and the cache file's own inode, size and modification
time. A later load whose inputs and file show exactly those stats takes the key
from the note and leaves the arrays unchecked; any difference (an edited,
added or removed file; the cache rebuilt or rewritten) means the full hash and
the full check, as before. Python trusts its own bytecode on less (size and
mtime in seconds). Files modified within the last few seconds are never noted,
as git treats a "racily clean" file: a same-size edit in the same clock tick
would otherwise look unchanged. The pickle itself is checked with sha256 on
every load. The note is advisory: unreadable, not ours or damaged, it is ignored.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib
import io
import json
import logging
import mmap
import os
import pickle
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generic, Iterator, Sequence, TypeVar

import bot

log = logging.getLogger("sotp.cache")

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "cache"
INPUT_PACKAGES: tuple[Path, ...] = (ROOT / "bot", ROOT / "handlers", ROOT / "knowledge")
FORMAT = b"SOTP-CACHE 2\n"
PROTOCOL = pickle.HIGHEST_PROTOCOL
ALIGN = 64             # where each out-of-band array starts: aligned for numpy, whatever the header's length
OUT_OF_BAND = 64 * 1024  # smaller arrays (thousands of them) stay in the pickle: a map pays off for large ones
_OWN_PACKAGES = frozenset(p.name for p in INPUT_PACKAGES)
_SKIPPED_DIRS = frozenset({"__pycache__"})
RACY_SECONDS = 3.0     # files modified this recently are not noted as checked (see "What was checked once")


class CacheRefused(Exception):
    """The file is not one this process may load, or not a cache of this object: rebuild."""


@dataclass(frozen=True)
class Provenance:
    """Where an object came from: loaded from the cache, or built (and why)."""

    source: str        # "cache" or "built"
    path: Path
    key: str
    reason: str        # why it was built ("no cache yet", "stale: ...", "corrupt: ..."); "" when loaded
    seconds: float     # time to load or to build


def _input_files(packages: Sequence[Path]) -> Iterator[tuple[str, str]]:
    """(name relative to the package's parent, full path) of every file the key hashes, in key order."""
    for package in packages:
        root = os.fspath(package)
        base = os.path.dirname(root)
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
            relative = os.path.relpath(folder, base).replace(os.sep, "/")
            for name in sorted(files):
                if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                    continue
                yield f"{relative}/{name}", os.path.join(folder, name)


def fingerprint(packages: Sequence[Path], *parts: str) -> str:
    """sha256 over the given strings and every file (relative name and content) of the packages.

    Names are joined as strings, not Path objects: building ~350 Paths was most of the time.
    """
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    for relative, full in _input_files(packages):
        with open(full, "rb") as fh:
            data = fh.read()
        digest.update(relative.encode() + b"\0")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@dataclass(frozen=True)
class Stats:
    """What a note compares: a digest of the inputs' stats, and the newest input's modification time."""

    digest: str
    newest_ns: int


def input_stats(packages: Sequence[Path], *parts: str) -> Stats:
    """sha256 over the given strings and every input file's name, size and modification time (ns)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    newest = 0
    for relative, full in _input_files(packages):
        info = os.stat(full)
        newest = max(newest, info.st_mtime_ns)
        digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return Stats(digest.hexdigest(), newest)


def _file_stat(info: os.stat_result) -> list[int]:
    return [info.st_ino, info.st_size, info.st_mtime_ns]


def _replace(path: Path, parts: Sequence[bytes | memoryview], name: str, *, sync: bool) -> None:
    """Write a temporary file (0600, mkstemp's) beside path and rename it over path: readers see the old
    file or the new, never half. OSError when it cannot; no temporary file is left."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for part in parts:
                fh.write(part)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _RecordingPickler(pickle.Pickler):
    """A pickler that notes the modules of the classes and functions it writes."""

    def __init__(self, file: io.BytesIO) -> None:
        self.buffers: list[pickle.PickleBuffer] = []
        super().__init__(file, protocol=PROTOCOL, buffer_callback=self._out_of_band)
        self.modules: set[str] = set()

    def _out_of_band(self, buffer: pickle.PickleBuffer) -> bool:
        """Large buffers go after the pickle (False); small ones stay in it (True)."""
        if buffer.raw().nbytes < OUT_OF_BAND:
            return True
        self.buffers.append(buffer)
        return False

    def reducer_override(self, obj: Any) -> Any:
        names = [type(obj).__module__]
        if isinstance(obj, type) or callable(obj):   # pickled by reference to its module
            names.append(getattr(obj, "__module__", None))
        for name in names:
            if isinstance(name, str):
                self.modules.add(name.partition(".")[0])
        return NotImplemented


def _third_party_versions(modules: set[str]) -> dict[str, str | None]:
    """Version of each third-party package the pickle refers to (the stdlib and ours are in the key).

    Only importable packages count: Cython, for one, names the type of its functions
    after a module that exists only in memory.
    """
    versions: dict[str, str | None] = {}
    for name in sorted(modules - _OWN_PACKAGES - set(sys.stdlib_module_names) - {"builtins", "__main__"}):
        module = sys.modules.get(name)
        if getattr(module, "__spec__", None) is None:
            continue
        version = getattr(module, "__version__", None)
        versions[name] = str(version) if version is not None else None
    return versions


def _unpickle(payload: bytes | memoryview, buffers: Sequence[memoryview] = ()) -> Any:
    """pickle.loads without the cyclic garbage collector running meanwhile.

    Unpickling the knowledge creates some hundred thousand objects, none of them garbage;
    the collector's passes over them were about a third of the load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(payload, buffers=buffers)
    finally:
        if enabled:
            gc.enable()


class ObjectCache(Generic[T]):
    """One built object in one pickle file, keyed on its inputs.

    `directory` is for tests; the assistant's caches use CACHE_DIR. `packages` are
    the folders whose files the key hashes.
    """

    def __init__(self, name: str, *, directory: Path = CACHE_DIR,
                 packages: Sequence[Path] = INPUT_PACKAGES) -> None:
        self.name = name
        self.path = directory / f"{name}.pickle"
        self.note_path = directory / f"{name}.checked"
        self.packages = tuple(packages)
        self.provenance: Provenance | None = None

    def _key_parts(self) -> tuple[str, ...]:
        version = f"{sys.implementation.cache_tag} {sys.version}"
        return FORMAT.decode().strip(), self.name, bot.__version__, version, str(PROTOCOL)

    def key(self) -> str:
        return fingerprint(self.packages, *self._key_parts())

    # ------------------------------------------------------------------ reading
    def _read(self) -> tuple[memoryview, os.stat_result]:
        """The file's bytes, mapped read-only, if it is a regular file of ours that nobody else can write."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            raise
        except OSError as exc:   # ELOOP: a symlink
            raise CacheRefused(f"cannot open it ({exc.strerror})") from exc
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                raise CacheRefused(f"owned by uid {info.st_uid}, not by this user")
            if info.st_mode & 0o022:
                raise CacheRefused(f"writable by others (mode {info.st_mode & 0o777:o})")
            if info.st_size == 0:
                raise ValueError("empty file")
            # The map outlives the descriptor. The file is only ever replaced by a rename, never
            # rewritten in place, so a process keeps the old file's pages while it uses them.
            return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)), info

    def _parse(self, data: bytes | memoryview, key: str, *,
               arrays: bool = True) -> tuple[dict[str, Any], memoryview, list[memoryview]]:
        """The header, the pickle and its out-of-band buffers (checked unless arrays=False);
        CacheRefused when it is not this object's cache, ValueError when damaged."""
        data = memoryview(data)
        if bytes(data[:len(FORMAT)]) != FORMAT:
            raise ValueError("not a cache file of this format")
        line_end = bytes(data[len(FORMAT):len(FORMAT) + 65536]).find(b"\n")
        if line_end < 0:
            raise ValueError("no header")
        line_end += len(FORMAT)
        header = json.loads(bytes(data[len(FORMAT):line_end]))
        if not isinstance(header, dict):
            raise ValueError("no header")
        if header.get("key") != key:
            raise CacheRefused("stale: its inputs changed")
        start = line_end + 1
        layout = header.get("buffers") or []
        length = int(header.get("pickle_length", len(data) - start))
        payload = data[start:start + length]
        if len(payload) != length or hashlib.sha256(payload).hexdigest() != header.get("sha256"):
            raise ValueError("checksum mismatch (truncated or damaged)")
        buffers: list[memoryview] = []
        for number, (offset, size, crc) in enumerate(layout):
            buffer = data[start + offset:start + offset + size]
            if len(buffer) != size or (arrays and zlib.crc32(buffer) != crc):
                raise ValueError(f"array {number} is truncated or damaged")
            buffers.append(buffer)
        return header, payload, buffers

    def _check_modules(self, header: dict[str, Any]) -> None:
        for name, version in dict(header.get("modules") or {}).items():
            try:
                module = importlib.import_module(name)
            except ImportError as exc:
                raise CacheRefused(f"stale: {name} is not installed any more") from exc
            now = getattr(module, "__version__", None)
            if (str(now) if now is not None else None) != version:
                raise CacheRefused(f"stale: pickled with {name} {version}, now {now}")

    def load(self, key: str | None = None) -> T:
        """The cached object; FileNotFoundError, CacheRefused (stale, refused) or another error (corrupt)."""
        return self._load(key or self.key(), None)[0]

    def _load(self, key: str, checked_file: list[int] | None) -> tuple[T, os.stat_result, bool]:
        """(object, the file's stat, whether its arrays were checked): unchecked only when the file is
        exactly the one a note says was checked."""
        data, info = self._read()
        arrays = checked_file != _file_stat(info)
        header, payload, buffers = self._parse(data, key, arrays=arrays)
        self._check_modules(header)
        return _unpickle(payload, buffers), info, arrays

    # ------------------------------------------------------------ the note
    def _noted(self) -> dict[str, Any] | None:
        """The note of the last full check, if it is a well-formed file of ours; None otherwise."""
        try:
            fd = os.open(self.note_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as fh:
                info = os.fstat(fh.fileno())
                if (hasattr(os, "getuid") and info.st_uid != os.getuid()) or info.st_mode & 0o022:
                    return None
                note = json.loads(fh.read(4096))
        except (OSError, ValueError):
            return None
        if not (isinstance(note, dict) and isinstance(note.get("inputs"), str) and isinstance(note.get("key"), str)
                and isinstance(note.get("file"), list) and len(note["file"]) == 3
                and all(type(v) is int for v in note["file"])):
            return None
        return note

    def _note(self, stats: Stats, key: str, info: os.stat_result) -> None:
        """Note a full check, unless an input or the file is too new to be told apart from an edit."""
        racy = time.time_ns() - int(RACY_SECONDS * 1e9)
        if stats.newest_ns >= racy or info.st_mtime_ns >= racy:
            return
        note = json.dumps({"inputs": stats.digest, "key": key, "file": _file_stat(info)}).encode()
        try:
            _replace(self.note_path, [note], self.name, sync=False)
        except OSError as exc:     # only the next load's speed depends on it
            log.debug("cache %s: no note written: %s", self.name, exc)

    def status(self) -> tuple[str, str]:
        """("fresh" | "missing" | "stale" | "refused" | "corrupt", detail), without unpickling."""
        key = self.key()
        try:
            header, _, _ = self._parse(self._read()[0], key, arrays=False)
            self._check_modules(header)
        except FileNotFoundError:
            return "missing", f"no cache at {self.path}"
        except CacheRefused as exc:
            reason = str(exc)
            state = "stale" if reason.startswith("stale: ") else "refused"
            return state, f"{self.path}: {reason.removeprefix('stale: ')}"
        except Exception as exc:  # noqa: BLE001 - any damage is reported, never raised
            return "corrupt", f"{self.path}: {exc}"
        built = header.get("built_at", "?")
        return "fresh", f"{self.path}: built {built} in {header.get('build_seconds', '?')} s, key {key[:12]}"

    # ------------------------------------------------------------------ writing
    def store(self, value: T, *, key: str | None = None, build_seconds: float = 0.0) -> bool:
        """Write the object atomically; False (with a warning) when it cannot be pickled or written."""
        key = key or self.key()
        buffer = io.BytesIO()
        pickler = _RecordingPickler(buffer)
        try:
            pickler.dump(value)
        except Exception as exc:  # noqa: BLE001 - an unpicklable field must not stop the assistant
            log.warning("cache %s: not cached, the object does not pickle: %s", self.name, exc)
            return False
        payload = buffer.getvalue()
        arrays = [b.raw() for b in pickler.buffers]
        layout, parts, offset = [], [payload], len(payload)
        for array in arrays:
            pad = -offset % ALIGN
            parts.append(b"\0" * pad)
            offset += pad
            layout.append([offset, array.nbytes, zlib.crc32(array)])
            parts.append(array)
            offset += array.nbytes
        header = {
            "key": key,
            "name": self.name,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "pickle_length": len(payload),
            "buffers": layout,
            "modules": _third_party_versions(pickler.modules),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(build_seconds, 3),
        }
        line = FORMAT + json.dumps(header, sort_keys=True).encode()
        line += b" " * (-(len(line) + 1) % ALIGN) + b"\n"     # the arrays' offsets stay aligned in the file
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _replace(self.path, [line, *parts], self.name, sync=True)
        except OSError as exc:
            log.warning("cache %s: not written to %s: %s", self.name, self.path, exc)
            return False
        return True

    # ---------------------------------------------------------- load or build
    def get(self, build: Callable[[], T]) -> T:
        """The cached object when fresh, else build() stored for next time; sets self.provenance."""
        started = time.perf_counter()
        stats = input_stats(self.packages, *self._key_parts())
        note = self._noted()
        trusted = note is not None and note["inputs"] == stats.digest
        key = note["key"] if trusted else self.key()     # type: ignore[index]
        try:
            value, info, checked = self._load(key, note["file"] if trusted else None)  # type: ignore[index]
        except FileNotFoundError:
            reason = "no cache yet"
            log.info("cache %s: %s, building", self.name, reason)
        except CacheRefused as exc:
            reason = str(exc)
            (log.info if reason.startswith("stale") else log.warning)(
                "cache %s: %s: %s, rebuilding", self.name, self.path, reason)
        except Exception as exc:  # noqa: BLE001 - corrupt or unreadable: rebuild, never crash
            reason = f"corrupt: {type(exc).__name__}: {exc}"
            log.warning("cache %s: %s is unreadable (%s), rebuilding", self.name, self.path, reason)
        else:
            if checked or not trusted:
                self._note(stats, key, info)
            self.provenance = Provenance("cache", self.path, key, "", time.perf_counter() - started)
            return value
        started = time.perf_counter()
        value = build()
        seconds = time.perf_counter() - started
        self.store(value, key=key, build_seconds=seconds)
        self.provenance = Provenance("built", self.path, key, reason, seconds)
        log.info("cache %s: built in %.2f s", self.name, seconds)
        return value


def cached(build: Callable[[], T]) -> Callable[[], T]:
    """Decorate a builder of immutable, shared knowledge: calls load it from CACHE_DIR when fresh.

    The decorated function keeps `.cache` (its ObjectCache, for provenance and
    `sotp index`) and `.build` (the builder itself, uncached).
    """
    cache: ObjectCache[T] = ObjectCache(f"{build.__module__}.{build.__qualname__}")

    @functools.wraps(build)
    def load_or_build() -> T:
        return cache.get(build)

    load_or_build.cache = cache          # type: ignore[attr-defined]
    load_or_build.build = build          # type: ignore[attr-defined]
    return load_or_build

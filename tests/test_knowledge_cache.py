"""The knowledge cache: a fresh cache is loaded, a stale, corrupt or unsafe one rebuilt, never a crash.

Each test keys a cache on a package folder of its own in tmp_path (the shipped
cache lives in var/cache/ beside the packages and is only used by the last tests).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import sys
from pathlib import Path

import pytest

import bot
from bot.cli import main
from handlers.assistant import default_knowledge
from knowledge import cache as cache_module
from knowledge.cache import CACHE_DIR, FORMAT, INPUT_PACKAGES, ObjectCache

KNOWLEDGE_DIR = Path(cache_module.__file__).resolve().parent


class Builder:
    """A build function that counts its calls and returns a new, equal object each time."""

    def __init__(self, value: object = None) -> None:
        self.calls = 0
        self.value = value if value is not None else {"sections": ("q21", "q22"), "threshold": 0.35}

    def __call__(self) -> object:
        self.calls += 1
        return dict(self.value) if isinstance(self.value, dict) else self.value


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A stand-in for the knowledge package: a corpus file and a curated file."""
    root = tmp_path / "pkg"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "q21.json").write_text('{"id": "q21", "title": "When does the Election Period end?"}')
    (root / "curated.toml").write_text('["q21"]\nquestions = ["When is the deadline?"]\n')
    return root


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "var" / "cache"


def new_cache(package: Path, cache_dir: Path) -> ObjectCache:
    return ObjectCache("test.knowledge", directory=cache_dir, packages=[package])


def test_the_first_call_builds_and_writes_the_cache(package, cache_dir):
    build = Builder()
    cache = new_cache(package, cache_dir)
    assert cache.get(build) == build.value
    assert build.calls == 1
    assert cache.provenance.source == "built" and cache.provenance.reason == "no cache yet"
    assert cache.path == cache_dir / "test.knowledge.pickle" and cache.path.is_file()


def test_a_fresh_cache_is_loaded_without_building(package, cache_dir):
    new_cache(package, cache_dir).get(Builder())
    build = Builder()
    cache = new_cache(package, cache_dir)   # another process: nothing in memory
    value = cache.get(build)
    assert build.calls == 0
    assert value == {"sections": ("q21", "q22"), "threshold": 0.35}
    assert cache.provenance.source == "cache" and cache.provenance.reason == ""
    assert cache.provenance.key == new_cache(package, cache_dir).key()


def test_a_changed_knowledge_file_makes_the_cache_stale(package, cache_dir):
    new_cache(package, cache_dir).get(Builder())
    (package / "curated.toml").write_text('["q21"]\nquestions = ["When is the deadline?", "Last day to elect?"]\n')
    build = Builder()
    cache = new_cache(package, cache_dir)
    cache.get(build)
    assert build.calls == 1
    assert cache.provenance.source == "built" and cache.provenance.reason == "stale: its inputs changed"
    # ... and the rebuilt cache is fresh again.
    again = new_cache(package, cache_dir)
    again.get(Builder())
    assert again.provenance.source == "cache"


def test_a_new_data_file_in_the_package_makes_the_cache_stale(package, cache_dir):
    new_cache(package, cache_dir).get(Builder())
    (package / "intents.toml").write_text('[faq]\nexamples = ["when is the deadline"]\n')
    cache = new_cache(package, cache_dir)
    cache.get(Builder())
    assert cache.provenance.reason == "stale: its inputs changed"


def test_bytecode_beside_the_sources_does_not_make_the_cache_stale(package, cache_dir):
    new_cache(package, cache_dir).get(Builder())
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "matcher.cpython-311.pyc").write_bytes(b"\x00" * 16)
    cache = new_cache(package, cache_dir)
    cache.get(Builder())
    assert cache.provenance.source == "cache"


def test_a_changed_corpus_or_curated_file_of_the_shipped_knowledge_changes_the_key(tmp_path):
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = ObjectCache("k", directory=tmp_path, packages=[copy]).key()
    corpus_file = copy / "corpus" / "notice" / "q21.json"
    corpus_file.write_text(corpus_file.read_text(encoding="utf-8").replace("Midnight", "midnight"), encoding="utf-8")
    after_corpus = ObjectCache("k", directory=tmp_path, packages=[copy]).key()
    with (copy / "curated" / "notice.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n["q22"]\nkeywords = ["paper form"]\n')
    after_curated = ObjectCache("k", directory=tmp_path, packages=[copy]).key()
    assert len({before, after_corpus, after_curated}) == 3


def test_a_new_package_version_makes_the_cache_stale(package, cache_dir, monkeypatch):
    new_cache(package, cache_dir).get(Builder())
    monkeypatch.setattr(bot, "__version__", "0.2.0")
    cache = new_cache(package, cache_dir)
    cache.get(Builder())
    assert cache.provenance.reason == "stale: its inputs changed"


def test_a_third_party_library_upgraded_since_pickling_makes_the_cache_stale(package, cache_dir, tmp_path, monkeypatch):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "sotp_fakelib.py").write_text(
        '__version__ = "1.0"\n\nclass Classifier:\n    def __init__(self, labels):\n        self.labels = labels\n')
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.delitem(sys.modules, "sotp_fakelib", raising=False)
    import sotp_fakelib

    build = Builder({"classifier": sotp_fakelib.Classifier(("faq", "estimate"))})
    new_cache(package, cache_dir).get(build)
    header = json.loads(new_cache(package, cache_dir).path.read_bytes()[len(FORMAT):].split(b"\n", 1)[0])
    assert header["modules"] == {"sotp_fakelib": "1.0"}
    monkeypatch.setattr(sotp_fakelib, "__version__", "2.0")
    cache = new_cache(package, cache_dir)
    cache.get(build)
    assert cache.provenance.reason == "stale: pickled with sotp_fakelib 1.0, now 2.0"
    assert build.calls == 2


def test_an_object_holding_a_compiled_library_function_is_loaded_from_the_cache(package, cache_dir):
    from rapidfuzz import fuzz

    new_cache(package, cache_dir).get(Builder({"scorer": fuzz.token_set_ratio}))
    cache = new_cache(package, cache_dir)
    value = cache.get(Builder({"scorer": None}))
    assert cache.provenance.source == "cache"
    assert value["scorer"]("deadline election", "election deadline") == 100.0


def test_a_large_array_is_loaded_as_a_read_only_view_of_the_file(package, cache_dir):
    import mmap

    import numpy as np

    weights = np.arange(20_000, dtype=np.float64) / 7     # 160 KB: stored after the pickle
    new_cache(package, cache_dir).get(Builder({"weights": weights}))
    cache = new_cache(package, cache_dir)
    value = cache.get(Builder({"weights": None}))
    assert cache.provenance.source == "cache"
    assert np.array_equal(value["weights"], weights) and not value["weights"].flags.writeable
    base = value["weights"].base
    while isinstance(base, (np.ndarray, memoryview)):
        base = base.obj if isinstance(base, memoryview) else base.base
    assert isinstance(base, mmap.mmap)


def test_a_damaged_array_is_found_by_its_checksum_and_rebuilt(package, cache_dir):
    import numpy as np

    new_cache(package, cache_dir).get(Builder({"weights": np.zeros(20_000)}))
    cache = new_cache(package, cache_dir)
    data = bytearray(cache.path.read_bytes())
    data[-80_000] ^= 0x01                  # inside the array, far from the pickle
    cache.path.write_bytes(bytes(data))
    build = Builder({"weights": np.ones(3)})
    cache.get(build)
    assert build.calls == 1
    assert cache.provenance.reason == "corrupt: ValueError: array 0 is truncated or damaged"


def _corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "flipped byte":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "not a cache":
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
    elif how == "bad header":
        path.write_bytes(FORMAT + b"{not json\n" + data)


@pytest.mark.parametrize("how", ["flipped byte", "truncated", "empty", "not a cache", "bad header"])
def test_a_corrupt_cache_is_rebuilt_with_a_warning(package, cache_dir, caplog, how):
    new_cache(package, cache_dir).get(Builder())
    cache = new_cache(package, cache_dir)
    _corrupt(cache.path, how)
    build = Builder()
    with caplog.at_level(logging.WARNING, logger="sotp.cache"):
        value = cache.get(build)
    assert value == build.value and build.calls == 1
    assert cache.provenance.source == "built" and cache.provenance.reason.startswith("corrupt: ")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "is unreadable" in caplog.records[0].getMessage() and "rebuilding" in caplog.records[0].getMessage()
    # The rebuilt file replaced the damaged one.
    after = new_cache(package, cache_dir)
    after.get(Builder())
    assert after.provenance.source == "cache"


def test_a_cache_whose_pickle_does_not_load_is_rebuilt(package, cache_dir):
    cache = new_cache(package, cache_dir)
    cache.get(Builder())
    payload = b"\x80\x05\x95not a pickle"
    header = {"key": cache.key(), "sha256": hashlib.sha256(payload).hexdigest(), "modules": {}}
    cache.path.write_bytes(FORMAT + json.dumps(header).encode() + b"\n" + payload)
    build = Builder()
    cache.get(build)
    assert build.calls == 1 and cache.provenance.reason.startswith("corrupt: UnpicklingError")


def test_a_cache_file_others_can_write_is_refused_and_replaced(package, cache_dir, caplog):
    new_cache(package, cache_dir).get(Builder())
    cache = new_cache(package, cache_dir)
    os.chmod(cache.path, 0o666)
    build = Builder()
    with caplog.at_level(logging.WARNING, logger="sotp.cache"):
        cache.get(build)
    assert build.calls == 1
    assert cache.provenance.reason == "writable by others (mode 666)"
    assert "writable by others" in caplog.text
    assert cache.path.stat().st_mode & 0o777 == 0o600


def test_a_symlink_in_place_of_the_cache_is_refused(package, cache_dir, tmp_path):
    new_cache(package, cache_dir).get(Builder())
    cache = new_cache(package, cache_dir)
    elsewhere = tmp_path / "planted.pickle"
    cache.path.rename(elsewhere)
    cache.path.symlink_to(elsewhere)
    build = Builder()
    cache.get(build)
    assert build.calls == 1 and cache.provenance.reason.startswith("cannot open it")
    assert not cache.path.is_symlink()


def test_cache_files_are_private_to_their_owner(package, cache_dir):
    cache = new_cache(package, cache_dir)
    cache.get(Builder())
    assert cache.path.stat().st_mode & 0o777 == 0o600
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in cache_dir.iterdir()] == ["test.knowledge.pickle"]   # no temporary file left
    age(package, cache.path)
    new_cache(package, cache_dir).get(Builder())
    assert sorted(p.name for p in cache_dir.iterdir()) == ["test.knowledge.checked", "test.knowledge.pickle"]
    assert (cache_dir / "test.knowledge.checked").stat().st_mode & 0o777 == 0o600


def test_a_cache_that_cannot_be_written_still_answers(package, tmp_path, caplog):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    cache = new_cache(package, blocked / "cache")
    build = Builder()
    with caplog.at_level(logging.WARNING, logger="sotp.cache"):
        assert cache.get(build) == build.value
    assert cache.provenance.source == "built"
    assert "not written" in caplog.text


def test_an_object_that_does_not_pickle_is_used_uncached(package, cache_dir, caplog):
    build = Builder({"scorer": lambda text: len(text)})
    cache = new_cache(package, cache_dir)
    with caplog.at_level(logging.WARNING, logger="sotp.cache"):
        value = cache.get(build)
    assert value["scorer"]("deadline") == 8
    assert "does not pickle" in caplog.text and not cache.path.exists()


def test_status_says_whether_the_cache_is_fresh_without_loading_it(package, cache_dir):
    cache = new_cache(package, cache_dir)
    assert cache.status()[0] == "missing"
    cache.get(Builder())
    assert cache.status()[0] == "fresh"
    (package / "curated.toml").write_text("")
    assert cache.status() == ("stale", f"{cache.path}: its inputs changed")


# --------------------------------------------------------------- the note of a full check

HOUR_AGO_NS = 3600 * 10**9


def age(*paths: Path) -> None:
    """Move modification times an hour back: older than the racy window, as files are between runs."""
    for path in paths:
        for file in ([path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]):
            mtime = file.stat().st_mtime_ns - HOUR_AGO_NS
            os.utime(file, ns=(mtime, mtime))


def noted_cache(package: Path, cache_dir: Path, value: object = None) -> ObjectCache:
    """A cache built, aged, and loaded once with the full check, so that the check is noted."""
    new_cache(package, cache_dir).get(Builder(value))
    cache = new_cache(package, cache_dir)
    age(package, cache.path)
    cache.get(Builder())
    assert cache.note_path.is_file()
    return cache


def no_hashing(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the inputs were hashed")
    monkeypatch.setattr(cache_module, "fingerprint", refuse)


def test_a_load_after_a_noted_check_neither_hashes_the_inputs_nor_rebuilds(package, cache_dir, monkeypatch):
    noted_cache(package, cache_dir)
    no_hashing(monkeypatch)
    build = Builder()
    cache = new_cache(package, cache_dir)
    assert cache.get(build) == {"sections": ("q21", "q22"), "threshold": 0.35}
    assert build.calls == 0 and cache.provenance.source == "cache"


def test_the_note_keeps_the_key_the_inputs_hash_to(package, cache_dir):
    cache = noted_cache(package, cache_dir)
    assert json.loads(cache.note_path.read_text())["key"] == cache.key()
    assert cache.note_path.stat().st_mode & 0o777 == 0o600


def test_an_edit_of_the_same_size_is_still_seen_despite_the_note(package, cache_dir):
    noted_cache(package, cache_dir)
    curated = package / "curated.toml"
    text = curated.read_text()
    curated.write_text(text.replace("deadline", "DEADLINE"))     # same size, a new modification time
    build = Builder()
    cache = new_cache(package, cache_dir)
    cache.get(build)
    assert build.calls == 1 and cache.provenance.reason == "stale: its inputs changed"


def test_a_new_file_beside_the_inputs_is_still_seen_despite_the_note(package, cache_dir):
    noted_cache(package, cache_dir)
    (package / "extra.toml").write_text("x = 1\n")
    cache = new_cache(package, cache_dir)
    cache.get(Builder())
    assert cache.provenance.reason == "stale: its inputs changed"


def test_a_damaged_array_in_a_rewritten_file_is_still_found_despite_the_note(package, cache_dir):
    import numpy as np

    cache = noted_cache(package, cache_dir, {"weights": np.zeros(20_000)})
    data = bytearray(cache.path.read_bytes())
    data[-80_000] ^= 0x01
    cache.path.write_bytes(bytes(data))        # the same inode and size, a new modification time
    build = Builder({"weights": np.ones(3)})
    again = new_cache(package, cache_dir)
    again.get(build)
    assert build.calls == 1
    assert again.provenance.reason == "corrupt: ValueError: array 0 is truncated or damaged"


def test_inputs_modified_moments_ago_are_not_noted(package, cache_dir):
    new_cache(package, cache_dir).get(Builder())
    cache = new_cache(package, cache_dir)
    age(cache.path)                       # the package's files keep their fresh times
    cache.get(Builder())
    assert cache.provenance.source == "cache" and not cache.note_path.exists()


@pytest.mark.parametrize("how", ["writable by others", "not JSON", "wrong shape"])
def test_a_note_that_is_not_trustworthy_is_ignored(package, cache_dir, monkeypatch, how):
    cache = noted_cache(package, cache_dir)
    if how == "writable by others":
        cache.note_path.chmod(0o666)
    elif how == "not JSON":
        cache.note_path.write_text("{")
    else:
        cache.note_path.write_text(json.dumps({"inputs": 1, "key": "k", "file": []}))
    hashed = []
    real = cache_module.fingerprint
    monkeypatch.setattr(cache_module, "fingerprint", lambda *a: hashed.append(1) or real(*a))
    again = new_cache(package, cache_dir)
    again.get(Builder())
    assert hashed and again.provenance.source == "cache"


# --------------------------------------------------------------- the shipped knowledge

QUESTIONS = ("when is the deadline?", "how do I withdraw my election after I signed up?",
             "Oslo office: is income tax due on the payout?", "what does Available Trading Day mean?")


def test_the_shipped_knowledge_loaded_from_the_cache_answers_as_the_built_one(tmp_path):
    built = ObjectCache("knowledge", directory=tmp_path, packages=INPUT_PACKAGES)
    fresh = built.get(default_knowledge.build)
    loaded_cache = ObjectCache("knowledge", directory=tmp_path, packages=INPUT_PACKAGES)
    loaded = loaded_cache.get(default_knowledge.build)
    assert (built.provenance.source, loaded_cache.provenance.source) == ("built", "cache")
    assert loaded is not fresh
    assert [f.name for f in dataclasses.fields(loaded)] == [f.name for f in dataclasses.fields(fresh)]
    assert loaded.templates == fresh.templates and dict(loaded.corpus) == dict(fresh.corpus)
    for question in QUESTIONS:
        a, b = fresh.matcher.match(question), loaded.matcher.match(question)
        assert (a.ranked, a.confidence, a.passage) == (b.ranked, b.confidence, b.passage)


def test_the_shipped_cache_lives_in_var_cache_beside_the_packages_whatever_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("SOTP_DB", "SOTP_CONFIG", "HOME", "TMPDIR", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "elsewhere"))
    repository = KNOWLEDGE_DIR.parent
    assert CACHE_DIR == repository / "var" / "cache"
    assert default_knowledge.cache.path == repository / "var" / "cache" / "handlers.assistant.default_knowledge.pickle"
    assert ObjectCache("x").path.parent == repository / "var" / "cache"


def test_sotp_index_build_writes_a_fresh_cache_that_status_reports(capsys):
    assert main(["index", "build", "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["path"] == str(default_knowledge.cache.path) and built["build_seconds"] > 0
    assert main(["index", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["state"], status["path"]) == ("fresh", str(default_knowledge.cache.path))
    default_knowledge.cache_clear()
    default_knowledge()
    assert default_knowledge.cache.provenance.source == "cache"

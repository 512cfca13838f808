"""The Notice knowledge base at run time: the extracted sections plus curated phrasings.

The sections are the JSON files under knowledge/corpus/ (written by
knowledge/build_corpus.py and committed); curated alternative questions and
keywords come from knowledge/curated/*.toml, one table per section id:

    ["guide:russia"]
    questions = ["How is the payment taxed in Russia?"]
    keywords = ["Moscow", "Russian tax"]

Bad data is refused at load time with the file and the id named, so a typo in
a curated file cannot silently detach phrasings from their section.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

KNOWLEDGE_DIR = Path(__file__).resolve().parent
CORPUS_DIR = KNOWLEDGE_DIR / "corpus"
CURATED_DIR = KNOWLEDGE_DIR / "curated"

# Folder order is answer-source order: the Notice first, then its companion
# documents, the country guides and the defined terms.
FOLDERS = ("notice", "documents", "guides", "terms")
RANKS = ("normal", "last")
CURATED_FIELDS = ("questions", "keywords")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    document: str
    rank: str                       # "normal", or "last" for sections indexed but ranked after all others
    paragraphs: tuple[str, ...]
    questions: tuple[str, ...] = ()  # curated phrasings employees use for this section
    keywords: tuple[str, ...] = ()


class Corpus(Mapping[str, Section]):
    """Read-only mapping of section id to Section, iterated in a stable order."""

    def __init__(self, sections: Mapping[str, Section]) -> None:
        self._sections = dict(sections)

    def __getitem__(self, section_id: str) -> Section:
        return self._sections[section_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections)

    def __len__(self) -> int:
        return len(self._sections)

    def ids(self) -> tuple[str, ...]:
        return tuple(self._sections)

    def sections(self) -> tuple[Section, ...]:
        return tuple(self._sections.values())

    def __repr__(self) -> str:
        return f"Corpus({len(self)} sections)"


def _string_tuple(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected an array of strings, got {value!r}")
    return tuple(value)


def _read_section(path: Path) -> tuple[Section, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read corpus file: {exc}") from exc
    missing = {"id", "title", "document", "rank", "source_lines", "paragraphs"} - set(data)
    if missing:
        raise ValueError(f"{path}: missing fields {sorted(missing)}")
    if data["rank"] not in RANKS:
        raise ValueError(f"{path}: rank must be one of {RANKS}, got {data['rank']!r}")
    paragraphs = _string_tuple(data["paragraphs"], f"{path}: paragraphs")
    if not paragraphs or not all(p.strip() for p in paragraphs):
        raise ValueError(f"{path}: a section needs non-empty paragraphs")
    section = Section(id=data["id"], title=data["title"], document=data["document"],
                      rank=data["rank"], paragraphs=paragraphs)
    return section, int(data["source_lines"][0])


def _read_sections(corpus_dir: Path) -> dict[str, Section]:
    sections: dict[str, Section] = {}
    for folder in FOLDERS:
        found = [_read_section(path) for path in sorted((corpus_dir / folder).glob("*.json"))]
        # Seed order within a folder; the defined terms alphabetically by id.
        found.sort(key=(lambda item: item[0].id) if folder == "terms" else (lambda item: (item[1], item[0].id)))
        for section, _ in found:
            if section.id in sections:
                raise ValueError(f"{corpus_dir}: duplicate section id {section.id!r}")
            sections[section.id] = section
    if not sections:
        raise ValueError(f"{corpus_dir}: no corpus files found")
    return sections


def _merge_curated(sections: dict[str, Section], curated_dir: Path) -> None:
    for path in sorted(curated_dir.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read curated file: {exc}") from exc
        for section_id, table in data.items():
            if section_id not in sections:
                raise ValueError(f"{path}: unknown section id {section_id!r}")
            if not isinstance(table, dict):
                raise ValueError(f"{path}: [{section_id!r}] must be a table with questions/keywords arrays")
            unknown = set(table) - set(CURATED_FIELDS)
            if unknown:
                raise ValueError(f"{path}: [{section_id!r}] has unknown keys {sorted(unknown)}; "
                                 f"allowed: {', '.join(CURATED_FIELDS)}")
            section = sections[section_id]
            changes: dict[str, tuple[str, ...]] = {}
            for name in CURATED_FIELDS:
                if name in table:
                    extra = _string_tuple(table[name], f"{path}: [{section_id!r}] {name}")
                    current: tuple[str, ...] = getattr(section, name)
                    changes[name] = tuple(dict.fromkeys(current + tuple(s.strip() for s in extra if s.strip())))
            sections[section_id] = replace(section, **changes)


def load_corpus(corpus_dir: Path | None = None, curated_dir: Path | None = None) -> Corpus:
    """The sections of `corpus_dir` with the phrasings of `curated_dir/*.toml` merged in.

    A missing curated folder means no curated phrasings. Raises ValueError on bad data.
    """
    sections = _read_sections(corpus_dir or CORPUS_DIR)
    curated = curated_dir or CURATED_DIR
    if curated.is_dir():
        _merge_curated(sections, curated)
    return Corpus(sections)


@lru_cache(maxsize=1)
def default_corpus() -> Corpus:
    """The shipped corpus, loaded once per process."""
    return load_corpus()

"""A workspace read as a corpus, so exported records resolve their text like any other standoff record.

``training.corpora.open_corpus("workspace:<slug>")`` comes here: ``stance retrain``, ``annotate
check`` and ``eval`` read a summit's articles from its workspace file, and the text is never copied.
"""

from __future__ import annotations

from typing import Iterator

from training.corpora import Document
from workbench.store import CORPUS_PREFIX, Workspace, Workspaces


class WorkspaceCorpus:
    """The articles of one workspace, by ``doc_id``."""

    def __init__(self, name: str, workspaces: Workspaces | None = None):
        self.name = name
        self.workspace: Workspace = (workspaces or Workspaces()).get(name.removeprefix(CORPUS_PREFIX))

    def ids(self) -> list[str]:
        return [a.doc_id for a in self.workspace.articles()]

    def get(self, doc_id: str) -> Document:
        try:
            a = self.workspace.article(str(doc_id))
        except KeyError:
            raise KeyError(f"{self.name}: no document {doc_id!r}") from None
        return Document(self.name, a.doc_id, a.text, a.title, a.date)

    def __iter__(self) -> Iterator[Document]:
        return (Document(self.name, a.doc_id, a.text, a.title, a.date) for a in self.workspace.articles())

"""A store file that ``relex ingest`` creates is removed again when the run fails before it
committed its first class: it then holds nothing a re-run would reuse (a resumed run redoes
every uncommitted class from scratch), and an empty store left behind only misleads."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from relex.queries import NotFoundError, QueryError, StoreError, StoreSettings, open_store

log = logging.getLogger(__name__)


@contextmanager
def removed_unless_committed(settings: StoreSettings, run: str) -> Iterator[None]:
    """Run the block; if it fails, the embedded store did not exist before and run ``run``
    committed no class, remove the files (and folders) the block created for the store."""
    path = settings.path.absolute()
    if settings.backend != "embedded" or path.exists():
        yield
        return
    new_folders = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    before = set(path.parent.iterdir()) if path.parent.exists() else set()
    try:
        yield
    except BaseException:
        if not _committed(settings, run):
            _remove(path, before, new_folders)
        raise


def _committed(settings: StoreSettings, run: str) -> bool:
    """Whether the store holds a class of ``run``. The store is new, so a store that cannot be
    read (QueryError: no schema yet) or holds no such run has nothing worth keeping."""
    try:
        with open_store(settings, read_only=True) as store:
            return store.get_run(run).classes > 0
    except (NotFoundError, QueryError):
        return False
    except StoreError:
        return True  # cannot tell (in use, another engine): keep the store


def _remove(path: Path, before: set[Path], new_folders: list[Path]) -> None:
    if path.parent.exists():
        for entry in path.parent.iterdir():
            ours = entry.name == path.name or entry.name.startswith(path.name + ".")
            if ours and entry not in before and entry.is_dir():
                shutil.rmtree(entry)
            elif ours and entry not in before:
                entry.unlink()
    for folder in new_folders:
        try:
            folder.rmdir()
        except OSError:
            break
    log.info("removed the new store %s: the run wrote nothing to it", path)

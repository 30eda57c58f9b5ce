"""Where incidents live: the Store protocol, the embedded SQLite store, and ``open_store``.

``open_store`` turns the ``store.url`` of ``candor.toml`` into a store.
:class:`SQLiteStore` is imported on first use, so ``import candor.store`` does
not load :mod:`sqlite3`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from candor.errors import ConfigError, StoreError
from candor.store.base import promises_made_by
from candor.typing import Store
from candor.vocabulary import OutboxItem

if TYPE_CHECKING:
    from candor.store.sqlite import SQLiteStore

__all__ = ["OutboxItem", "SQLiteStore", "Store", "open_store", "promises_made_by", "store_path"]


def __getattr__(name: str) -> Any:
    if name == "SQLiteStore":
        from candor.store.sqlite import SQLiteStore

        return SQLiteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(url: str, *, base_dir: Path | None = None) -> Store:
    """The store ``url`` names; relative paths are resolved against ``base_dir`` (or the cwd).

    ``sqlite:///candor.db`` is a file relative to ``base_dir``,
    ``sqlite:////var/lib/candor.db`` an absolute one, and a plain path such as
    ``candor.db`` means the same as the first; ``?mode=ro`` after a ``sqlite:``
    URL opens the file read-only (so does a file or folder whose permission bits
    forbid writing). ``postgresql://...`` names the
    shared store, which is not available yet (a StoreError says so). Anything
    else is a ConfigError naming the key ``store.url`` and the value.
    """
    path, read_only = _location(url, base_dir)

    from candor.store.sqlite import SQLiteStore

    # Without ?mode=ro, the file's permission bits decide (see SQLiteStore).
    return SQLiteStore(path, read_only=True if read_only else None)


def store_path(url: str, *, base_dir: Path | None = None) -> Path:
    """The file the store ``url`` names, as :func:`open_store` reads it, without opening it.

    Nothing is created or read: this is how ``candor`` tells a store that
    exists from one it would create, and says which file it used. The errors
    are :func:`open_store`'s.
    """
    return _location(url, base_dir)[0]


def _location(url: str, base_dir: Path | None) -> tuple[Path, bool]:
    """The store's file and whether ``?mode=ro`` asks for it read-only."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(
            f"must name a store, such as 'sqlite:///candor.db'; got {url!r}", key="store.url"
        )
    text = url.strip()
    scheme, separator, rest = text.partition("://")
    read_only = False
    if separator and scheme.lower() == "sqlite" and "?" in rest:
        rest, _, query = rest.partition("?")
        read_only = _read_only_query(url, query)
    if not separator:
        location = text
    elif scheme.lower() in {"postgresql", "postgres"} or scheme.lower().startswith(
        ("postgresql+", "postgres+")
    ):
        raise StoreError(
            f"the shared PostgreSQL store is not available yet (store.url = {url!r}); "
            "use a SQLite file such as 'sqlite:///candor.db'"
        )
    elif scheme.lower() == "sqlite" and rest.startswith("/") and rest != "/":
        # sqlite:///relative.db leaves "/relative.db"; sqlite:////abs.db leaves "//abs.db".
        location = rest[1:]
    else:
        raise ConfigError(
            f"unknown store {url!r}: use 'sqlite:///relative/path.db', "
            "'sqlite:////absolute/path.db' or a file path",
            key="store.url",
        )
    if location == ":memory:":
        raise ConfigError(
            "an in-memory SQLite store would forget everything between operations; "
            "give a file path",
            key="store.url",
        )
    path = Path(location).expanduser()
    if not path.is_absolute():
        path = (base_dir if base_dir is not None else Path.cwd()) / path
    return path, read_only


def _read_only_query(url: str, query: str) -> bool:
    """``mode=ro`` in a ``sqlite:`` URL: open the file read-only. Nothing else is understood."""
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        pairs = [(query, "")]
    for key, value in pairs:
        if key != "mode" or value != "ro":
            raise ConfigError(
                f"{url!r}: the only query a sqlite URL takes is ?mode=ro (read-only); "
                f"got {key}={value}",
                key="store.url",
            )
    return True

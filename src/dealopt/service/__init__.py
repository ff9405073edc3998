"""The HTTP service for reps and their CRM: a versioned JSON API and the deal-desk page.

``create_app`` is imported on first use (it brings in FastAPI): the CLI reads the service's settings and keys
without paying for the web stack when it refuses to start.
"""

from typing import TYPE_CHECKING, Any

from dealopt.service.settings import ServiceSettings

if TYPE_CHECKING:
    from dealopt.service.app import create_app

__all__ = ["ServiceSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from dealopt.service.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The HTTP service for reps and their CRM: a versioned JSON API and the deal-desk page."""

from dealopt.service.app import create_app
from dealopt.service.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]

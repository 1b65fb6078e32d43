"""The platform's web side: webhook route, health, metrics."""

from switchboard.web.app import create_health_app, create_web_app

__all__ = ["create_health_app", "create_web_app"]

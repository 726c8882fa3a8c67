"""The web: the employers' chat page and the coordinators' console, on aiohttp (docs/web.md).

`setup_web(app, services)` adds both to an aiohttp application (the Telegram webhook server's);
`handlers.web.server.serving(config)` runs them on their own when no Telegram token is set.
"""

from handlers.web.app import setup_web
from handlers.web.services import WebServices, build_services

__all__ = ["WebServices", "build_services", "setup_web"]

"""Cloud Control on the demo's moto server: a WSGI layer in front of moto's own app.

moto's server picks a service by the request's signing name and knows no ``cloudcontrolapi``,
so requests whose target is Cloud Control's are answered here, before moto's dispatcher;
everything else passes through untouched. ``ThreadedMotoServer`` builds its app inside the
thread it starts, so the subclass rebuilds that one step with the layer in front.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    BackendRequest,
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from aws_mcp_local.demo.cloudcontrol import registry
from aws_mcp_local.demo.cloudcontrol.service import Emulator, is_cloud_control

__all__ = ["CloudControlApp", "DemoMotoServer"]


class CloudControlApp:
    """WSGI: Cloud Control's requests to the emulator, the rest to ``app``."""

    def __init__(self, app: Any, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not is_cloud_control({"X-Amz-Target": environ.get("HTTP_X_AMZ_TARGET", "")}):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        status, headers, body = self.emulator.answer(BackendRequest(environ)) or (404, {}, "")
        headers = {k: str(v) for k, v in headers.items() if k.lower() != "status"}
        return Response(body, status=int(status), headers=headers)(environ, start_response)


class DemoMotoServer(ThreadedMotoServer):
    """moto's threaded server, answering Cloud Control too (and the registry's two actions)."""

    def __init__(self, emulator: Emulator, ip_address: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.emulator = emulator
        registry.install()

    def _server_entry(self) -> None:
        app = CloudControlApp(DomainDispatcherApplication(create_backend_app), self.emulator)
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()

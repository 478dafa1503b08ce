"""Shared fixtures: real peers on loopback (nginx, the lab, an egress proxy) and an isolated state directory."""

from __future__ import annotations

import pytest

from tests.peers import EgressProxy, Nginx


def pytest_collection_modifyitems(items):
    """Long tests first (marked heavy), the many short ones after: with two test processes (`--dist worksteal`, as
    `make test` runs) the idle one steals short tests from the other's tail, so both end together instead of one
    waiting on the other's last long walk."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)  # a stable sort keeps the order otherwise


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):
    """Autosaves, recent targets, key config and the compiled-catalogue cache go to the test's own directory,
    never the user's."""
    monkeypatch.setenv("WIZARD403_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("WIZARD403_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WIZARD403_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    from wizard403 import scrub

    scrub._RUN_SECRETS.clear()  # secrets one test's run remembered (process-wide) must not scrub the next test's screen
    yield


@pytest.fixture
def nginx(tmp_path):
    """A factory: nginx(server_body, files) starts a real nginx on a free loopback port."""
    started: list[Nginx] = []

    def start(server_body: str, files: dict[str, str] | None = None) -> Nginx:
        server = Nginx(tmp_path / f"nginx{len(started)}", server_body, files)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def lab():
    """The project's own 403 lab, once for the whole run."""
    from wizard403.lab import start_lab

    running = start_lab()
    yield running
    running.stop()


@pytest.fixture
def egress_proxy():
    """A forward proxy on 127.0.0.1 whose upstream connections come from 127.0.0.2."""
    proxy = EgressProxy("127.0.0.2")
    yield proxy
    proxy.stop()

"""The analysis pass shared by `check` and the wizard: heavy set-up happens before any request is in flight."""

from __future__ import annotations

import asyncio

from wizard403.content import load_content
from wizard403.diagnose import catalogue as catalogue_module
from wizard403.headless import analyse
from wizard403.model import ProbeOptions, Session, Target


def test_the_signature_catalogue_is_built_before_the_first_request(lab, monkeypatch):
    """Built inside a check, it held the event loop for 0.2-0.3 s while exchanges were being timed; on a loaded
    machine that was long enough for an in-flight exchange to run out of time."""
    content = load_content()
    catalogue_module._CACHE.clear()
    built_after = []
    real = catalogue_module.load_catalogue

    def recording(dirs):
        built_after.append(len(lab.requests))
        return real(dirs)

    monkeypatch.setattr(catalogue_module, "load_catalogue", recording)
    before = len(lab.requests)
    session = Session(target=Target(url=lab.url("insufficient-scope")))
    asyncio.run(analyse(session, ProbeOptions(), content))
    assert built_after == [before], "the catalogue was built once, before the lab saw any request of this run"
    assert session.exchanges and session.causes

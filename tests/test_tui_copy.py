"""Queries and commands ready to copy: step 6 shows the owner's log queries for each id found, step 2 and the summary
the commands that check and grant the permission, and the copy key, Enter or the Copy button puts exactly the text
shown on the clipboard, the same text the Markdown report holds. Hostile ids and principals stay inert on screen."""

from __future__ import annotations

import re

from tests.hostile import CLICK, CLIPBOARD_OSC, actions_in, painted_text
from tests.screen import screen_prose
from tests.test_specific_fixes import k8s
from wizard403.model import Headers, ProbeOptions, Session, Target
from wizard403.report import render
from wizard403.tui.app import make_app
from wizard403.tui.keys import DEFAULT_KEYS, config_path
from wizard403.tui.owner import CopyBlock
from wizard403.tui.screens.step import StepScreen
from wizard403.tui.screens.summary import SummaryScreen

SIZE = (120, 50)
PRINCIPAL = "system:serviceaccount:ci:deployer"
CAN_I = f"kubectl auth can-i list deployments.apps --namespace payments --as {PRINCIPAL}"
HOSTILE_ID = f"{CLICK} $(touch PWNED) `id` ``` {CLIPBOARD_OSC}'\""
HOSTILE_PRINCIPAL = "eve[ @click=app.quit]$(id)`x`"


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def k8s_app(principal: str = PRINCIPAL, audit_id: str | None = None, token: str | None = None):
    """A recorded Kubernetes RBAC refusal (offline): an audit id for step 6, commands with the principal for step 2."""
    exchange = k8s(principal)
    if audit_id is not None:
        exchange.response_headers = exchange.response_headers.replaced("Audit-Id", audit_id)
    headers = Headers([("Authorization", f"Bearer {token}")] if token else [])
    exchange.request_headers = headers
    session = Session(target=Target(url=exchange.url, headers=headers, source="response"))
    session.exchanges.append(exchange)
    return make_app(session=session, options=ProbeOptions(), live=False, use_autosave=False)


def fenced(markdown: str) -> list[str]:
    """The body of every fenced block of a Markdown document."""
    return [m.group(2) for m in re.finditer(r"(?ms)^(`{3,})[^\n]*\n(.*?)\n\1$", markdown)]


def prose(app) -> str:
    """The screen's text as one line, the left edge of each query or command block taken out of wrapped lines."""
    return " ".join(screen_prose(app).replace("▊", " ").split())


def told(app) -> str:
    """What the notifications say (the toasts overlap the screen's text, so they are read on their own)."""
    return " ".join(n.message for n in app._notifications)


async def focus_by_tab(app, pilot, limit: int = 40) -> CopyBlock:
    """Tab until a query or command has the focus, as a keyboard user does."""
    for _ in range(limit):
        if isinstance(app.focused, CopyBlock):
            return app.focused
        await pilot.press("tab")
    raise AssertionError("Tab never reached a query or command")


async def click_copy(app, pilot, block: CopyBlock) -> None:
    block.scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    await pilot.click(block.query_one(".copy-button"))
    await pilot.pause()


async def test_step_6_shows_the_ray_id_queries_and_the_copy_key_copies_one(lab):
    app = make_app(lab=lab, scenario="waf", use_autosave=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.goto_step(2)
        await settle(app, pilot)
        assert not app.screen.query(CopyBlock) and "Commands to check" not in prose(app), "no commands: nothing extra"
        app.goto_step(6)
        await settle(app, pilot)
        ray = next(r.value for r in app.session.references if r.kind == "cf-ray")
        assert f"cf-ray {ray}" in prose(app) and "the queries search" in prose(app)
        block = await focus_by_tab(app, pilot)
        assert "c Copy" in painted_text(app).splitlines()[-1], "the footer offers the copy key"
        await pilot.press("c")
        await pilot.pause()
        copied = app.clipboard
        said = told(app)
        await pilot.press("down", "enter")
        await pilot.pause()
        second = app.clipboard
        assert app.focused is not block, "down moves to the next query"
        report = render(app.session, "md", app.content)
    first = next(r for r in app.session.references if r.queries)
    assert copied == first.queries[0].text and ray.split("-")[0] in copied, "the first query, exactly, with the id"
    assert f"Copied the {first.queries[0].tool.split(' (')[0]} query for cf-ray {first.value}." in said
    assert second != copied and second in [q.text for r in app.session.references for q in r.queries]
    assert copied in fenced(report) and second in fenced(report), "the same text as the Markdown report's blocks"


async def test_the_summary_button_opens_step_6_on_its_first_query():
    app = k8s_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, SummaryScreen)
        app.screen.query_one("#to-queries").scroll_visible(animate=False, immediate=True)
        await pilot.pause()
        assert "Step 6 holds, for each of these ids, the queries that find it in the owner's logs" in prose(app)
        await pilot.click("#to-queries")
        await settle(app, pilot)
        assert isinstance(app.screen, StepScreen) and app.screen.number == 6
        assert isinstance(app.focused, CopyBlock), "the first query has the focus"
        assert "1f5c6f0e-1111-4d1e-9a57-2b9c1a3d6e7f" in app.focused.item.text
        assert len(app.screen_stack) == 2, "the summary is left, not stacked under step 6"


async def test_the_summary_shows_the_commands_copies_one_with_a_click_and_its_key_goes_to_the_queries():
    app = k8s_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        blocks = list(app.screen.query(CopyBlock))
        assert [b.item.text for b in blocks] == [c.text for c in app.session.causes[0].commands]
        grant = next(b for b in blocks if "kind: RoleBinding" in b.item.text)
        await click_copy(app, pilot, grant)
        shown, said = prose(app), told(app)
        copied = app.clipboard
        await pilot.press(DEFAULT_KEYS["log-queries"])
        await settle(app, pilot)
        assert isinstance(app.screen, StepScreen) and app.screen.number == 6, "the summary's key opens the queries"
    assert "To grant — run by an administrator" in shown and 'name: "deployer"' in shown
    assert copied == grant.item.text and 'namespace: "payments"' in copied
    assert "Copied the kubectl apply -f command (to grant, run by an administrator)." in said


async def test_step_2_shows_the_commands_with_the_principal_and_the_rebound_copy_key_copies_one():
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\ncopy-item = "y"\n')
    app = k8s_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.goto_step(2)
        await settle(app, pilot)
        await focus_by_tab(app, pilot)
        shown = prose(app)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == "", "the default key no longer copies once it is rebound"
        assert "y Copy" in painted_text(app).splitlines()[-1], "the footer shows the user's own key"
        await pilot.press("y")
        await pilot.pause()
        by_key, said = app.clipboard, told(app)
        app.copy_to_clipboard("")
        await pilot.press("down", "up", "enter")
        await pilot.pause()
        by_enter = app.clipboard
        report = render(app.session, "md", app.content)
    assert "Commands to check and fix it" in shown and "To check — run by an administrator, with kubectl" in shown
    assert CAN_I in shown
    assert by_key == by_enter == CAN_I and CAN_I in fenced(report)
    assert "Copied the kubectl command (to check, run by an administrator)." in said


async def test_a_hostile_id_and_principal_are_shown_inert_and_copied_as_the_report_holds_them():
    app = k8s_app(HOSTILE_PRINCIPAL, audit_id=HOSTILE_ID)
    copied, seen = [], []
    async with app.run_test(size=(120, 60), notifications=True) as pilot:
        await settle(app, pilot)
        for step in (6, 2):
            app.goto_step(step)
            await settle(app, pilot)
            blocks = list(app.screen.query(CopyBlock))
            for block in blocks[:2]:
                block.focus()
                await pilot.press("c")
                await pilot.pause()
                copied.append(app.clipboard)
            seen.append(painted_text(app))
            assert actions_in(app.screen) == [] and app.return_code is None, f"step {step}"
        await pilot.press("f3")
        await settle(app, pilot)
        seen.append(painted_text(app))
        assert actions_in(app.screen) == [] and app.title == "wizard403"
        report = render(app.session, "md", app.content)
    shown = "\n".join(seen)
    assert CLICK in shown and "␛]52;c;cHduZWQ=␇" in shown, "the id is shown as written"
    assert "\x1b" not in shown and "\x07" not in shown
    assert any(HOSTILE_PRINCIPAL in text for text in copied) and any("␛]52" in text for text in copied)
    for text in copied:
        assert "\x1b" not in text and "\x07" not in text, "no escape sequence reaches the clipboard"
        assert text in fenced(report), "the copy is the report's text"


async def test_a_secret_the_server_echoes_as_an_id_is_neither_shown_nor_copied():
    token = "kube-token-7d1f0c9e2b4a6f8e0d1c3b5a"
    app = k8s_app(audit_id=token, token=token)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.goto_step(6)
        await settle(app, pilot)
        await focus_by_tab(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        shown, copied = prose(app), app.clipboard
        report = render(app.session, "md", app.content)
    assert token not in shown and token not in copied and token not in report
    assert "[redacted sha256:" in copied and copied in fenced(report)


async def test_step_6_follows_the_session_in_front_and_when_it_comes_back_to_the_front():
    app = k8s_app()
    second, third = "2b7e0a51-aaaa-4c3d-8e9f-000000000002", "3c8f1b62-bbbb-4d4e-9fa0-000000000003"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.goto_step(6)
        await settle(app, pilot)
        app.session = k8s_app(audit_id=second).session
        app.run_analysis()  # offline: the open screens are told, and redraw from the new session
        await settle(app, pilot)
        in_front = [b.item.text for b in app.screen.query(CopyBlock)]
        await pilot.press("f3")
        await settle(app, pilot)
        app.session = k8s_app(audit_id=third).session
        app.run_analysis()
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, StepScreen) and app.screen.number == 6
        back = [b.item.text for b in app.screen.query(CopyBlock)]
    assert any(second in text for text in in_front)
    assert any(third in text for text in back) and not any(second in text for text in back)


async def test_step_6_without_references_says_what_to_do():
    app = make_app(session=Session(target=Target(url="https://shop.example/private", source="response")),
                   options=ProbeOptions(), live=False, use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.goto_step(6)
        await settle(app, pilot)
        empty = prose(app)
        assert not app.screen.query(CopyBlock)
    assert "No reference id or request time was found in this evidence: re-run with the live checks" in empty
    assert "paste the full response with its headers on the start screen" in empty


def test_no_two_bindings_share_a_default_key():
    keys = list(DEFAULT_KEYS.values())
    assert len(keys) == len(set(keys)), keys

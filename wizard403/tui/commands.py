"""Command palette entries built from content, as plain Content."""

from __future__ import annotations

from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from wizard403.textsafe import visible


class StepCommands(Provider):
    """'Go to step N: title' in the command palette, shown as plain Content: a content overlay's step title or
    explanation is never read as markup (the palette parses the strings of plain system commands)."""

    def _steps(self) -> list[tuple[str, str, Any]]:
        app = self.app
        if app.session is None:
            return []
        return [
            (visible(f"Go to step {s.number}: {s.title}"), visible(s.why), lambda n=s.number: app.goto_step(n))
            for s in app.content.steps
        ]

    @staticmethod
    def _prompt(name: str, why: str, offsets: tuple[int, ...] = ()):
        title = Content(name)
        for offset in offsets:
            title = title.stylize("reverse", offset, offset + 1)
        return Content("\n").join([title, Content.styled(why, "dim")])

    async def discover(self) -> Hits:
        for name, why, go in self._steps():
            yield DiscoveryHit(self._prompt(name, why), go, text=name)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, why, go in self._steps():
            score, offsets = matcher.fuzzy_search.match(query, name)
            if score > 0:
                yield Hit(score, self._prompt(name, why, offsets), go, text=name)

"""The built-in 403 lab: a loopback-only HTTP server with one realistic refusal per path.

Used by `wizard403 lab`, `wizard403 demo`, the tests and the screenshots. Standard library only.
"""

from wizard403.lab.scenarios import ALL_SCENARIOS, HOSTILE_SCENARIOS, SCENARIOS, Scenario, scenario
from wizard403.lab.server import Lab, RecordedRequest, serve_forever, start_lab
from wizard403.lab.tokens import mint_token

__all__ = [
    "ALL_SCENARIOS",
    "HOSTILE_SCENARIOS",
    "SCENARIOS",
    "Lab",
    "RecordedRequest",
    "Scenario",
    "mint_token",
    "scenario",
    "serve_forever",
    "start_lab",
]

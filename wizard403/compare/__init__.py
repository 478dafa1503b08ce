"""`wizard403 compare WORKING REFUSED`: what differs between a request that works and one that is refused.

The most telling move in troubleshooting a 403 is a comparison: it works for a colleague, in the other browser, from
home, with yesterday's token. This package lines the two requests up (sides.py), lists every difference ranked by
how likely it is to explain the refusal (differences.py), and with `--live` replays the refused request with the
working one's values taken over until the smallest set that turns 403 into 200 is found (narrow.py), within the
politeness budget and the rules of conduct. report.py writes the result as JSON, TOML or Markdown.
"""

from wizard403.compare.differences import Difference, differences
from wizard403.compare.sides import Side, load_pair, load_side

__all__ = ["Difference", "Side", "differences", "load_pair", "load_side"]

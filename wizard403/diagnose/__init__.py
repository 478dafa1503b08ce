"""The diagnosis: a signature catalogue kept as content, and a rule engine that ranks the causes of a 403."""

from wizard403.diagnose.engine import diagnose, explain_ranking, primary_exchange
from wizard403.diagnose.offline import analyse_exchange
from wizard403.diagnose.signatures import Hit, match_exchange
from wizard403.diagnose.verdict import describe_layer

__all__ = [
    "Hit",
    "analyse_exchange",
    "describe_layer",
    "diagnose",
    "explain_ranking",
    "match_exchange",
    "primary_exchange",
]

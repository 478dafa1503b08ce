"""Fit the word-weights experiment (scripts/word_model.py) offline, choose its settings honestly, and measure it.

Run: .venv/bin/python scripts/fit_word_weights.py cv [--stage 2]  # leave-vendors-out cross-validation within DEV
     .venv/bin/python scripts/fit_word_weights.py write [--out F]  # fit on all training data, chosen settings
     .venv/bin/python scripts/fit_word_weights.py trial            # write to a temporary file, then run
                                                  # bench/bench_generalise.py with the hint installed (held-out!)

NOT WIRED IN: the hint did not improve the held-out vendors or the odd probes (scripts/word_weights_findings.md).

Training data: the DEV corpus records (tests/corpus/**, vendors with sha256(vendor) % 3 != 0) and the EVEN blind
probes (tests/fixtures/readings/probes-2.toml, 0-based even indexes). Never the held-out vendors, never the odd
probes: those stay the honest test (bench/bench_generalise.py).

Model: multinomial naive Bayes over the set of words and adjacent word pairs of the extracted message
(word_model.features: message.py's extraction, cues.words_of's normalisation), Laplace/Lidstone smoothing alpha.
Words that only restate the refusal (restating_words: the stock pages' sentences) and numbers are left out.
Each cause's weight for a feature is log P(feature | cause) minus its mean over the causes (the same ranking as naive
Bayes: a per-feature constant does not change the softmax); only features seen in at least `min_vendors` distinct
vendors (a probe is its own vendor) are kept, and per cause only the top_n positive weights are written, so the file
stays small. A cause's bias is log of its share of the training data (or 0 with a uniform prior).

Cross-validation: DEV vendors in 5 folds by (sha256(vendor) // 3) % 5, the even probes in 5 folds by index; each
fold is diagnosed by the real engine with the model fitted on the other four, and the count of first causes right
(then, on a tie, fewer wrong specific causes) picks the settings.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import math
import random
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus_records import load_records  # noqa: E402
from wizard403.content import load_content  # noqa: E402
from scripts.word_model import STOP, WordModel, features, install  # noqa: E402
from wizard403.diagnose import analyse_exchange  # noqa: E402
from wizard403.diagnose.message import extract_message  # noqa: E402
from wizard403.model import CAUSE_IDS  # noqa: E402

PROBES = ROOT / "tests" / "fixtures" / "readings" / "probes-2.toml"
OUT = ROOT / "bench" / "word_weights.toml"  # not content/: the experiment is not shipped
FOLDS = 5


def _hash(vendor: str) -> int:
    return int(hashlib.sha256(vendor.encode()).hexdigest(), 16)


def training_docs():
    """(exchange, features, cause, vendor, fold) of every DEV record and every even probe."""
    from tests.test_diagnose_readings import _probe_exchange

    docs = []
    for rec in load_records():
        if rec.held_out:
            continue
        ex = rec.exchange()
        docs.append((ex, features(extract_message(ex).text), rec.cause, rec.vendor, (_hash(rec.vendor) // 3) % FOLDS))
    probes = tomllib.loads(PROBES.read_text(encoding="utf-8"))["probe"]
    for i, probe in enumerate(probes):
        if i % 2:
            continue  # the odd half is never trained or tuned on
        ex = _probe_exchange(probe)
        docs.append((ex, features(extract_message(ex).text), probe["cause"], f"probe-{i}", (i // 2) % FOLDS))
    return docs


def restating_words() -> frozenset[str]:
    """The words of the server stock pages' sentences (content/cues.toml settings.stock_phrases: "you don't have
    permission to access", "error 403 forbidden", "access ... is denied"): they restate that a refusal happened and
    name no cause, so the cues set them aside, and the word model learns nothing from them alone or in pairs."""
    from wizard403.diagnose.cues import STOCK, cuebook_for, words_of

    book = cuebook_for(load_content())
    return frozenset(w for cue in book.cues if cue.id == STOCK for p in cue.phrases
                     for w in words_of(p.replace("*", " ").replace("~", " ")))


def _vocab(docs, min_vendors: int) -> list[str]:
    restating = restating_words() | STOP
    vendors: dict[str, set[str]] = defaultdict(set)
    for _, feats, _, vendor, _ in docs:
        for f in feats:
            if not all(w in restating for w in f.split(" ")):
                vendors[f].add(vendor)
    return sorted(f for f, v in vendors.items() if len(v) >= min_vendors)


def fit(docs, kind: str = "nb", **params):
    return (fit_lr if kind == "lr" else fit_nb)(docs, **params)


def fit_lr(docs, lam: float, min_vendors: int, top_n: int, epochs: int = 20, rate: float = 0.5):
    """(biases, weights) of a softmax (multinomial logistic) regression on feature presence, fitted by stochastic
    gradient descent (fixed shuffle seed) with an L2 shrink of every weight after each epoch."""
    keep = set(_vocab(docs, min_vendors))
    causes = sorted({d[2] for d in docs}, key=CAUSE_IDS.index)
    w = {c: defaultdict(float) for c in causes}
    b = {c: 0.0 for c in causes}
    data = [(sorted(f for f in d[1] if f in keep), d[2]) for d in docs]
    rnd = random.Random(0)
    for epoch in range(epochs):
        rnd.shuffle(data)
        step = rate / (1 + epoch * 0.3)
        for feats, label in data:
            s = {c: b[c] + sum(w[c][f] for f in feats) for c in causes}
            peak = max(s.values())
            z = sum(math.exp(v - peak) for v in s.values())
            for c in causes:
                g = math.exp(s[c] - peak) / z - (c == label)
                if abs(g) < 1e-4:
                    continue
                b[c] -= step * g
                wc = w[c]
                for f in feats:
                    wc[f] -= step * g
        shrink = 1 - step * lam
        for c in causes:
            for f in w[c]:
                w[c][f] *= shrink
    weights = {}
    for c in causes:
        ranked = sorted(((v, f) for f, v in w[c].items() if v > 0), reverse=True)[:top_n]
        weights[c] = {f: round(v, 3) for v, f in ranked if round(v, 3) > 0}
    return {c: round(v, 3) for c, v in b.items()}, weights


def fit_nb(docs, alpha: float, uniform: bool, min_vendors: int, top_n: int):
    """(biases, weights) of the naive Bayes model described in the module docstring."""
    vocab = _vocab(docs, min_vendors)
    keep = set(vocab)
    counts: dict[str, Counter] = defaultdict(Counter)
    n_docs = Counter()
    for _, feats, cause, _, _ in docs:
        n_docs[cause] += 1
        counts[cause].update(f for f in feats if f in keep)
    causes = sorted(n_docs, key=CAUSE_IDS.index)
    total = sum(n_docs.values())
    logp = {}
    for c in causes:
        denom = sum(counts[c].values()) + alpha * len(vocab)
        logp[c] = {f: math.log((counts[c][f] + alpha) / denom) for f in vocab}
    mean = {f: sum(logp[c][f] for c in causes) / len(causes) for f in vocab}
    weights = {}
    for c in causes:
        # only features this cause has seen: a weight resting on smoothing alone says nothing about the cause
        ranked = sorted(((logp[c][f] - mean[f], f) for f in vocab if counts[c][f] > 0), reverse=True)
        weights[c] = {f: round(w, 3) for w, f in ranked[:top_n] if w > 0}
    biases = {c: 0.0 if uniform else round(math.log(n_docs[c] / total), 3) for c in causes}
    return biases, weights


def model_of(biases, weights, **settings) -> WordModel:
    return WordModel(MappingProxyType(biases), MappingProxyType({c: MappingProxyType(t) for c, t in weights.items()}),
                     **settings)


def evaluate(docs, content, model: WordModel | None) -> tuple[int, int, int]:
    """(right, unknown first, wrong specific) over docs, diagnosed by the engine with `model` as the word model."""
    install(model)
    right = unknown = wrong = 0
    for ex, _, cause, _, _ in docs:
        first = analyse_exchange(ex, content=content).causes[0].id
        right += first == cause
        unknown += first == "unknown" and cause != "unknown"
        wrong += first not in (cause, "unknown")
    return right, unknown, wrong


def cross_validate(docs, content, model_grid, setting_grid):
    folds = [[d for d in docs if d[4] == k] for k in range(FOLDS)]
    base = [evaluate(f, content, None) for f in folds]
    total = tuple(sum(x) for x in zip(*base))
    print(f"no word model: right {total[0]}/{len(docs)}, unknown first {total[1]}, wrong specific {total[2]}")
    results = []
    for params in model_grid:
        fitted = [fit([d for d in docs if d[4] != k], **params) for k in range(FOLDS)]
        for settings in setting_grid:
            per = [evaluate(folds[k], content, model_of(*fitted[k], **settings)) for k in range(FOLDS)]
            score = tuple(sum(x) for x in zip(*per))
            results.append((score, params, settings))
            print(f"  {params} {settings}: right {score[0]}, unknown {score[1]}, wrong {score[2]} "
                  f"(folds {[p[0] - b[0] for p, b in zip(per, base)]})", flush=True)
    results.sort(key=lambda r: (-r[0][0], r[0][2]))
    return total, results


def write(docs, params, settings, command: str, out: Path = OUT) -> None:
    biases, weights = fit(docs, **params)
    head = [
        "# Word weights for the language layer's statistical hint (scripts/word_model.py, an experiment not wired in).",
        "# Generated, do not edit by hand: fitted by scripts/fit_word_weights.py (multinomial naive Bayes over the",
        "# message's words and word pairs) on the DEV corpus records and the even blind probes only, never on the",
        "# held-out vendors or the odd probes. Settings chosen by leave-vendors-out 5-fold cross-validation",
        "# within them.",
        f"# Command: {command}",
        f"# Fit: {', '.join(f'{k} = {v}' for k, v in params.items())}; {len(docs)} training messages.",
        "",
        "[settings]",
    ]
    head += [f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in settings.items()]
    out.write_text(_as_subtables(biases, weights, head), encoding="utf-8")
    print(f"wrote {out}: {sum(len(t) for t in weights.values())} weights")


def _as_subtables(biases, weights, head: list[str]) -> str:
    lines = list(head)
    for c in biases:
        lines += ["", f"[causes.{c}]", f"bias = {biases[c]}", "", f"[causes.{c}.words]"]
        for f, w in sorted(weights[c].items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f'"{f}" = {w}')
    return "\n".join(lines) + "\n"


# The settings chosen by `cv` (see the findings in the module's report); `write` fits with them.
CHOSEN_FIT = {"kind": "nb", "alpha": 0.3, "uniform": False, "min_vendors": 2, "top_n": 150}
CHOSEN_SETTINGS = {"min_share": 0.7, "weight": 0.45, "only_unnamed": True, "shown": 3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("cv", "write", "trial"))
    parser.add_argument("--out", type=Path, default=OUT, help="where `write` puts the weights")
    parser.add_argument("--stage", type=int, default=1, help="cv stage: 1 the fit, 2 the hint's settings")
    args = parser.parse_args()
    content = load_content()
    docs = training_docs()
    print(f"training messages: {len(docs)} ({sum(1 for d in docs if d[3].startswith('probe-'))} even probes)")
    if args.what == "write":
        write(docs, CHOSEN_FIT, CHOSEN_SETTINGS, "python scripts/fit_word_weights.py write", args.out)
        return 0
    if args.what == "trial":
        import tempfile

        from bench import bench_generalise
        from scripts.word_model import load_word_model

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "word_weights.toml"
            write(docs, CHOSEN_FIT, CHOSEN_SETTINGS, "python scripts/fit_word_weights.py trial", path)
            install(load_word_model(path))
        sys.argv = [sys.argv[0]]
        return bench_generalise.main()
    if args.stage == 1:
        model_grid = [dict(kind="nb", alpha=a, uniform=u, min_vendors=m, top_n=150)
                      for a, u, m in itertools.product((0.1, 0.3, 1.0), (False, True), (1, 2))]
        model_grid += [dict(kind="lr", lam=lam, min_vendors=m, top_n=150)
                       for lam, m in itertools.product((0.001, 0.01, 0.05), (1, 2))]
        setting_grid = [dict(CHOSEN_SETTINGS)]
    else:
        model_grid = [dict(kind="nb", alpha=1.0, uniform=True, min_vendors=1, top_n=n) for n in (50, 150, 400)]
        model_grid += [dict(kind="nb", alpha=0.3, uniform=False, min_vendors=2, top_n=150),
                       dict(kind="lr", lam=0.01, min_vendors=2, top_n=150)]
        setting_grid = [dict(min_share=s, weight=w, only_unnamed=o, shown=3)
                        for s, w, o in itertools.product((0.5, 0.7, 0.8, 0.9), (0.2, 0.3, 0.45), (True, False))]
    base, results = cross_validate(docs, content, model_grid, setting_grid)
    print("\nbest (right, unknown first, wrong specific) against", base)
    for score, params, settings in results[:8]:
        print(f"  {score} {params} {settings}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

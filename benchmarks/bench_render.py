"""Benchmark: rendering many exam variants (paper + key, Markdown, then HTML for a sample).

Usage: python benchmarks/bench_render.py [--variants 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.loading import load_exam  # noqa: E402
from grader.render import render_variant  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", type=int, default=1000)
    args = ap.parse_args()
    exam = load_exam("midsem-2025", ROOT / "questions")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for v in range(1, args.variants + 1):
            render_variant(exam, v, Path(tmp), ["md"], stem=f"v{v}")
        md = time.perf_counter() - t0
        t0 = time.perf_counter()
        for v in range(1, 51):
            render_variant(exam, v, Path(tmp), ["html"], stem=f"h{v}")
        html = time.perf_counter() - t0
    print(
        f"{args.variants} variants of midsem-2025, paper + key as Markdown: {md:.1f} s "
        f"({1000 * md / args.variants:.1f} ms each)"
    )
    print(f"50 variants as HTML with MathML: {html:.1f} s ({1000 * html / 50:.1f} ms each)")


if __name__ == "__main__":
    main()

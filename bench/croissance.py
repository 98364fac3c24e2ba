"""How much each page's time grows with the data (issue 13: from the demo data to 200,000 files, at most 3 times).

Compares two results of `bench/mesurer.py --json` (the smaller database first), page by page and profile by profile:

    python bench/croissance.py demo.json 200k.json [--limite 3]

Prints both medians, both p95 and the ratio of the medians; the exit code is 1 when a ratio passes the limit.
"""

from __future__ import annotations

import argparse
import json
import sys


def load(path: str) -> tuple[int, dict]:
    with open(path, encoding="utf-8") as stream:
        data = json.load(stream)
    return data["dossiers"], {(row["page"], row["profil"]): row for row in data["resultats"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("petite")
    parser.add_argument("grande")
    parser.add_argument("--limite", type=float, default=3.0)
    args = parser.parse_args()
    small_files, small = load(args.petite)
    big_files, big = load(args.grande)
    print(f"{small_files:,} → {big_files:,} dossiers (médiane / p95, ms)".replace(",", " "))
    print(f"{'page':<26} {'profil':<26} {'petite':>13} {'grande':>13} {'rapport':>8}")
    over = []
    for key, row in small.items():
        other = big.get(key)
        if not other or not row["median_ms"] or not other["median_ms"]:
            continue
        ratio = other["median_ms"] / row["median_ms"]
        flag = "  > limite" if ratio > args.limite else ""
        if flag:
            over.append(key)
        print(
            f"{key[0]:<26} {key[1]:<26} {row['median_ms']:>6.0f} / {row['p95_ms']:>4.0f} "
            f"{other['median_ms']:>6.0f} / {other['p95_ms']:>4.0f} {ratio:>7.1f} fois{flag}"
        )
    if over:
        print(f"\n{len(over)} page(s) au-delà de {args.limite:g} fois.")
        sys.exit(1)


if __name__ == "__main__":
    main()

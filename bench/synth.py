#!/usr/bin/env python3
"""Writes K copies of an NVD JSON Lines file with rebased ids, gzip -1, for
the scale benchmarks: copy k turns CVE-YYYY-N into CVE-YYYY-(k*10^7 + N), so
every record is new and the data keeps its real shape. With
--distinct-products, copy k > 0 also renames every CPE product to
`product_kK`, so the database grows by new products (as it does over the
years) instead of piling ten times the records onto the same ones.

    bench/synth.py IN.jsonl.gz OUT.jsonl.gz K [--distinct-products]
"""
import gzip, re, sys

src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
distinct = "--distinct-products" in sys.argv[4:]
# Backslashes stay out of the product match: a suffix after one would turn
# `\\:` (an escaped colon, JSON-encoded) into an invalid escape.
cpe = re.compile(rb'(cpe:2\.3:[aoh]:[^:"]+:)([^:"\\]+)')
with gzip.open(dst, "wb", compresslevel=1) as out:
    for k in range(copies):
        with gzip.open(src, "rb") as f:
            for line in f:
                # Lines start with {"id":"CVE-YYYY-NNNN", ...
                head, sep, rest = line.partition(b'"id":"CVE-')
                year, num = rest[:4], rest[5:rest.index(b'"')]
                new = b"%s-%04d" % (year, k * 10_000_000 + int(num))
                rest = rest[5 + len(num):]
                if distinct and k > 0:
                    suffix = b"_k%d" % k
                    rest = cpe.sub(lambda m: m.group(1) + m.group(2) + suffix, rest)
                out.write(head + sep + new + rest)

#!/usr/bin/env python3
"""Writes K copies of an NVD JSON Lines file with rebased ids, gzip -1, for
the scale benchmark: copy k turns CVE-YYYY-N into CVE-YYYY-(k*10^7 + N), so
every record is new and the data keeps its real shape.

    bench/synth.py IN.jsonl.gz OUT.jsonl.gz K
"""
import gzip, sys

src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
with gzip.open(dst, "wb", compresslevel=1) as out:
    for k in range(copies):
        with gzip.open(src, "rb") as f:
            for line in f:
                # Lines start with {"id":"CVE-YYYY-NNNN", ...
                head, sep, rest = line.partition(b'"id":"CVE-')
                year, num = rest[:4], rest[5:rest.index(b'"')]
                new = b"%s-%04d" % (year, k * 10_000_000 + int(num))
                out.write(head + sep + new + rest[5 + len(num):])

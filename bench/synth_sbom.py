#!/usr/bin/env python3
"""Writes a CycloneDX 1.5 SBOM of N components for the scan benchmark: real
product names from a Kensa database's CPE dictionary (applications, chosen
with a fixed seed), each with a random x.y.z version and its vendor as
supplier, and no CPE, so every component goes through name resolution.

    bench/synth_sbom.py DB N OUT.cdx.json
"""
import json, random, sqlite3, sys

db, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conn = sqlite3.connect(db)
pairs = conn.execute(
    "SELECT vendor, product FROM cpe_index WHERE part = 'a' GROUP BY vendor, product ORDER BY vendor, product"
).fetchall()
rng = random.Random(20261122)
chosen = rng.sample(pairs, min(n, len(pairs)))
components = []
for i, (vendor, product) in enumerate(chosen):
    version = f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"
    components.append({
        "type": "library",
        "bom-ref": f"c{i}",
        "name": product.replace("\\", ""),
        "version": version,
        "supplier": {"name": vendor},
    })
bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components}
json.dump(bom, open(out, "w"))
print(f"{len(components)} components -> {out}")

#!/usr/bin/env python3
"""Writes a synthetic product portfolio for the portfolio benchmark: PRODUCTS
CycloneDX SBOMs of COMPONENTS components each, drawn (fixed seed) from a pool
of POOL distinct components. Pool entries are real product names from a Kensa
database's CPE dictionary, each with a random x.y.z version and its vendor as
supplier, and no CPE, so every component goes through name resolution. A
maker's products share most of their platform; POOL sets how much.

    bench/synth_portfolio.py DB PRODUCTS COMPONENTS POOL OUTDIR

Writes OUTDIR/pNNNN.cdx.json and OUTDIR/manifest.tsv (for
`kensa product add --manifest`).
"""
import json, os, random, sqlite3, sys

db, products, per, pool_n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
os.makedirs(out, exist_ok=True)
pairs = sqlite3.connect(db).execute(
    "SELECT vendor, product FROM cpe_index WHERE part = 'a' GROUP BY vendor, product ORDER BY vendor, product"
).fetchall()
rng = random.Random(20261122)
pool = []
for i in range(pool_n):
    vendor, product = pairs[rng.randrange(len(pairs))]
    version = f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"
    pool.append({"type": "library", "name": product.replace("\\", ""), "version": version,
                 "supplier": {"name": vendor}})
with open(os.path.join(out, "manifest.tsv"), "w") as manifest:
    for p in range(products):
        chosen = rng.sample(range(pool_n), min(per, pool_n))
        components = [dict(pool[j], **{"bom-ref": f"c{k}"}) for k, j in enumerate(chosen)]
        bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
               "metadata": {"component": {"type": "device", "name": f"product-{p:04d}", "version": "1.0"}},
               "components": components}
        name = f"p{p:04d}.cdx.json"
        with open(os.path.join(out, name), "w") as f:
            json.dump(bom, f)
        manifest.write(f"product-{p:04d}\t1.0\t{name}\n")
print(f"{products} products x {per} components from a pool of {pool_n} -> {out}")

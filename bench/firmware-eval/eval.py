#!/usr/bin/env python3
"""The firmware evaluation of issue #16 (see README.md).

  eval.py make MANIFEST TRUTH OUTDIR   writes OUTDIR/firmware.cdx.json (the
      manifest's names and versions as Buildroot writes them, generic purls,
      as cyclonedx-buildroot makes them) and OUTDIR/truth.cdx.json (each
      canonical CPE pair at the upstream version, one component per pair)
  eval.py score FIRMWARE_REPORT TRUTH_REPORT [--show]
      compares two `kensa scan --format json` reports: micro precision and
      recall over (component, vulnerability) pairs, macro recall over the
      components with at least one expected vulnerability
"""
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path


def read_truth(path):
    rows = {}
    for line in Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        package, version, pairs, *why = line.split("\t")
        rows[package] = (version, [] if pairs == "-" else pairs.split(), why[0] if why else "")
    return rows


def make(manifest, truth_path, outdir):
    truth = read_truth(truth_path)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    firmware, expected = [], []
    with open(manifest, newline="") as f:
        for row in csv.DictReader(f):
            name, version = row["PACKAGE"], row["VERSION"]
            if name not in truth:
                sys.exit(f"{truth_path}: no row for package {name}")
            firmware.append({
                "type": "library", "bom-ref": name, "name": name, "version": version,
                "purl": f"pkg:generic/{name}@{version}",
            })
            match_version, pairs, _ = truth[name]
            for i, pair in enumerate(pairs):
                vendor, product = pair.split(":")
                expected.append({
                    "type": "library", "bom-ref": f"{name}#{i}", "name": product,
                    "version": match_version,
                    "cpe": f"cpe:2.3:a:{vendor}:{product}:{match_version}:*:*:*:*:*:*:*",
                })
    for file, components in [("firmware.cdx.json", firmware), ("truth.cdx.json", expected)]:
        doc = {"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": components}
        (out / file).write_text(json.dumps(doc, indent=1))
    print(f"{len(firmware)} components; {len(expected)} truth components")


def pairs(report):
    found = defaultdict(set)
    for f in report["findings"]:
        ref = f["component"]["bom_ref"].split("#")[0]
        found[ref].add(f["vulnerability"]["id"])
    return found


def score(firmware_report, truth_report, show=False):
    found = pairs(json.load(open(firmware_report)))
    expected = pairs(json.load(open(truth_report)))
    tp = sum(len(found[c] & expected[c]) for c in found)
    fp = sum(len(found[c] - expected.get(c, set())) for c in found)
    fn = sum(len(expected[c] - found.get(c, set())) for c in expected)
    per = {c: len(found.get(c, set()) & e) / len(e) for c, e in expected.items() if e}
    for c in sorted(set(found) | set(expected)):
        f, e = found.get(c, set()), expected.get(c, set())
        line = f"{c:<28} expected {len(e):>4}  found {len(f):>4}  missed {len(e - f):>4}  extra {len(f - e):>4}"
        if show and (e - f or f - e):
            line += f"\n    missed: {' '.join(sorted(e - f)[:12])}\n    extra: {' '.join(sorted(f - e)[:12])}"
        print(line)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    macro = sum(per.values()) / len(per) if per else 1.0
    print(f"components with expected findings: {len(per)}; TP {tp} FP {fp} FN {fn}")
    print(f"micro precision={precision:.4f} micro recall={recall:.4f} macro recall={macro:.4f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "make":
        make(*sys.argv[2:])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], "--show" in sys.argv)
    else:
        sys.exit(__doc__)

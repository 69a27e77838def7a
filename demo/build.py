#!/usr/bin/env python3
"""Rebuilds the demo data set from ../shared/data/vuln (stdlib only).

Selects the real records that concern the components of rtu-gateway.cdx.json
and the PLC of ot/s7ident.pcap:
NVD CVEs whose configurations name one of their CPE vendor/product pairs
(newest first, capped per product, plus named showcase CVEs), the CVE JSON 5
(CISA vulnrichment) records of the same CVEs and of ICS products, their KEV
entries, and CISA CSAF advisories that mention them. Output is deterministic.

    python3 demo/build.py [SHARED_DIR]
"""
import gzip, io, json, os, sys, tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data", "vuln")
PER_PRODUCT = 30
# The PLC in ot/s7ident.pcap: `kensa ot inventory` finds it (CPU 315-2 PN/DP,
# firmware 3.2.6) and `kensa scan` matches its firmware.
INVENTORY_PRODUCTS = {("siemens", "simatic_s7-300_cpu_firmware")}
SHOWCASE = {"CVE-2014-0160", "CVE-2014-6271", "CVE-2014-7169", "CVE-2015-0235", "CVE-2016-5195",
            "CVE-2014-3566", "CVE-2016-2107", "CVE-2015-7547"}

def products():
    bom = json.load(open(os.path.join(HERE, "rtu-gateway.cdx.json")))
    out = set()
    for c in bom["components"]:
        parts = c["cpe"].split(":")
        out.add((parts[3], parts[4]))
    return out

def cpe_pairs(cve):
    for cfg in cve.get("configurations", []):
        for node in cfg.get("nodes", []):
            for m in node.get("cpeMatch", []):
                p = m["criteria"].split(":")
                yield (p[3], p[4])

def jsonl(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line

def write_gz(path, lines):
    # mtime=0: reproducible bytes
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        for line in lines:
            f.write(line.encode("utf-8") if line.endswith("\n") else (line + "\n").encode("utf-8"))

def main():
    wanted = products()
    by_product = {p: [] for p in wanted}
    picked = {}
    for line in jsonl(os.path.join(SHARED, "nvd-api2-2002-2016", "nvd-cve-2002-2016.api2.jsonl.gz")):
        cve = json.loads(line)
        hit = wanted.intersection(cpe_pairs(cve))
        if cve["id"] in SHOWCASE or INVENTORY_PRODUCTS.intersection(cpe_pairs(cve)):
            picked[cve["id"]] = line
        for p in hit:
            by_product[p].append((cve["id"], line))
    def key(cve_id):
        y, n = cve_id.split("-")[1:]
        return (int(y), int(n))
    for p, rows in by_product.items():
        for cve_id, line in sorted(rows, key=lambda r: key(r[0]), reverse=True)[:PER_PRODUCT]:
            picked[cve_id] = line
    ids = sorted(picked, key=key)
    write_gz(os.path.join(HERE, "nvd-demo.api2.jsonl.gz"), [picked[i] for i in ids])

    # Recent CVE 5 records (with CISA's SSVC) for the same products, or for
    # Modbus devices; the kernel is left out, it would crowd out the rest.
    names = {prod for _, prod in wanted if prod != "linux_kernel"}
    cve5 = []
    for line in jsonl(os.path.join(SHARED, "cisa-vulnrichment", "vulnrichment-cve5.jsonl.gz")):
        rec = json.loads(line)
        cid = rec["cveMetadata"]["cveId"]
        affected = {a.get("product", "").lower() for a in rec["containers"].get("cna", {}).get("affected", [])}
        if cid in picked or affected & names or "modbus" in line.lower():
            cve5.append((cid, line))
    cve5.sort(key=lambda r: key(r[0]))
    write_gz(os.path.join(HERE, "vulnrichment-demo.cve5.jsonl.gz"), [l for _, l in cve5[:150]])
    all_ids = set(picked) | {c for c, _ in cve5[:150]}

    kev = json.load(open(os.path.join(SHARED, "cisa-kev", "known_exploited_vulnerabilities.json")))
    kev["vulnerabilities"] = [v for v in kev["vulnerabilities"] if v["cveID"] in all_ids]
    kev["count"] = len(kev["vulnerabilities"])
    with open(os.path.join(HERE, "kev-demo.json"), "w") as f:
        json.dump(kev, f, indent=2)
        f.write("\n")

    csaf = []
    for line in jsonl(os.path.join(SHARED, "cisa-csaf", "cisa-csaf-advisories.jsonl.gz")):
        doc = json.loads(line)
        cves = {v.get("cve") for v in doc.get("vulnerabilities", [])}
        if cves & all_ids:
            csaf.append((doc["document"]["tracking"]["id"], line))
    csaf.sort()
    write_gz(os.path.join(HERE, "csaf-demo.jsonl.gz"), [l for _, l in csaf[:12]])
    print(f"NVD {len(ids)}, CVE5 {min(len(cve5), 150)}, KEV {kev['count']}, CSAF {min(len(csaf), 12)}")

if __name__ == "__main__":
    main()

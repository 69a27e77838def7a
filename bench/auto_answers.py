#!/usr/bin/env python3
"""Questions per finding before and after automatic answers (issue #17).

usage: auto_answers.py KENSA DB PRODUCT [--facts F] [--profile F] [--build-config F ...]

For every finding of PRODUCT's newest version: the checklist's questions,
how many an automatic answer decides (yes/no; "unknown" with evidence still
goes to a person), and the verdict `kensa assess --auto` reaches (on a copy
of DB). Prints a summary, then one line per vulnerability.
"""
import collections, json, shutil, subprocess, sys, tempfile, time

def run(args):
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {out.stderr}")
    return json.loads(out.stdout)

def questions(section):
    for e in section["entries"]:
        if e["type"] == "question":
            yield e
        else:
            yield from questions(e)

def main():
    kensa, db, product, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    findings = run([kensa, "-q", "--db", db, "product", "show", product, "--format", "json"])["findings"]
    vulns = sorted({f["vulnerability"]["id"] for f in findings})
    copy = tempfile.NamedTemporaryFile(suffix=".db", delete=False).name
    shutil.copy(db, copy)
    before = after = 0
    sources = collections.Counter()
    verdicts = collections.Counter()
    rows = []
    start = time.monotonic()
    for v in vulns:
        lst = run([kensa, "-q", "--db", db, "checklist", v, "--product", product, "--format", "json"] + extra)
        qs = list(questions(lst["root"])) if lst.get("root") else []
        decided = [q for q in qs if q.get("auto") and q["auto"]["answer"] in ("yes", "no")]
        for q in decided:
            sources[q["auto"]["source"]] += 1
        before += len(qs)
        after += len(qs) - len(decided)
        verdict = run([kensa, "-q", "--db", copy, "assess", v, "--product", product, "--auto", "--format", "json"] + extra)["verdict"]
        verdicts[verdict] += 1
        rows.append(f"{v}: {len(qs)} questions, {len(decided)} answered automatically ({', '.join(q['id'] + '=' + q['auto']['answer'] + '/' + q['auto']['source'] for q in decided)}), verdict {verdict}")
    elapsed = time.monotonic() - start
    n = len(vulns)
    print(f"product={product} findings={len(findings)} vulnerabilities={n}")
    print(f"questions per vulnerability: before={before / n:.2f} after={after / n:.2f} ({before} -> {after})")
    print(f"automatic answers by source: {dict(sources)}")
    print(f"verdicts with --auto: {dict(verdicts)}")
    print(f"time: {elapsed:.1f} s for {2 * n} kensa runs (checklist + assess per vulnerability)")
    for r in rows:
        print(r)

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Per-kind scores of extracted condition trees against gold labels.

usage: score_by_kind.py GOLD.jsonl OUTPUT_DIR

Matches exactly as ../shared/eval/logic-dev/score_logic.py does (a gold
condition is found by a distinct predicted condition of one of its kinds
whose text holds one of its keywords; maximum bipartite matching; version
conditions not scored), then reports:
- recall per gold kind group (the gold condition's first listed kind, with
  configuration/function_use labels reported as "configuration|function_use");
- precision per predicted kind and per predicted class (issue #17's finer
  classes: service_enabled, interface_exposed, ...; "-" when none).
"""
import collections, json, os, sys

def leaves(node):
    if isinstance(node, dict) and "op" in node:
        for ch in node.get("children", []):
            yield from leaves(ch)
    elif isinstance(node, dict):
        yield node

def gold_group(kinds):
    if kinds[0] in ("configuration", "function_use"):
        return "configuration|function_use"
    return kinds[0]

def main():
    gold_path, out_dir = sys.argv[1], sys.argv[2]
    recall = collections.defaultdict(lambda: [0, 0])
    prec_kind = collections.defaultdict(lambda: [0, 0])
    prec_class = collections.defaultdict(lambda: [0, 0])
    for line in open(gold_path):
        g = json.loads(line)
        conds = g["conditions"]
        try:
            doc = json.load(open(os.path.join(out_dir, g["id"] + ".json")))
            preds = [p for p in leaves(doc.get("logic", {})) if p.get("kind") != "version"]
        except Exception:
            preds = []
        def fits(p, c):
            t = str(p.get("text", "")).lower()
            return len(t) <= 160 and p.get("kind") in c["kinds"] and any(k.lower() in t for k in c["any_of"])
        owner = {}
        def augment(i, seen):
            for j, p in enumerate(preds):
                if j not in seen and fits(p, conds[i]):
                    seen.add(j)
                    if j not in owner or augment(owner[j], seen):
                        owner[j] = i
                        return True
            return False
        for i in range(len(conds)):
            augment(i, set())
        found = set(owner.values())
        for i, c in enumerate(conds):
            r = recall[gold_group(c["kinds"])]
            r[0] += i in found
            r[1] += 1
        for j, p in enumerate(preds):
            for table, key in ((prec_kind, p.get("kind")), (prec_class, p.get("class") or "-")):
                table[key][0] += j in owner
                table[key][1] += 1
    print("recall by gold kind:")
    for k, (f, n) in sorted(recall.items()):
        print(f"  {k:28} {f:3}/{n:<3} {f / n:.3f}")
    print("precision by predicted kind:")
    for k, (f, n) in sorted(prec_kind.items()):
        print(f"  {k:28} {f:3}/{n:<3} {f / n:.3f}")
    print("precision by predicted class:")
    for k, (f, n) in sorted(prec_class.items()):
        print(f"  {k:28} {f:3}/{n:<3} {f / n:.3f}")

if __name__ == "__main__":
    main()

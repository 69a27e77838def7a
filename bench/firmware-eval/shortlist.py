"""Shortlist coverage of `kensa alias propose` on the firmware evaluation set:
for each unresolved component, whether one of its truth pairs (truth.tsv) is
among the candidates the model would be shown.

    python3 bench/firmware-eval/shortlist.py PROPOSE.json   (see bench/propose-shortlist.sh)
"""
import json, sys
truth = {}
for line in open(__file__.rsplit('/', 1)[0] + '/truth.tsv'):
    if line.startswith('#') or not line.strip(): continue
    f = line.rstrip('\n').split('\t')
    pairs = [] if f[2] == '-' else f[2].split()
    truth[f[0]] = pairs
d = json.load(open(sys.argv[1]))
with_truth = hit = hit3 = 0; none_truth = none_with_cands = 0
rows = []
for p in d['proposals']:
    name = p['component']['name']
    t = truth.get(name)
    if t is None:
        rows.append((name, '?', '')); continue
    cands = [c['vendor'] + ':' + c['product'] for c in p['shortlist']]
    if t:
        with_truth += 1
        rank = next((i + 1 for i, c in enumerate(cands) if c in t), None)
        hit += rank is not None
        hit3 += rank is not None and rank <= 3
        rows.append((name, ' '.join(t), f'rank {rank} of {len(cands)}' if rank else f'absent ({len(cands)} candidates)'))
    else:
        none_truth += 1
        none_with_cands += bool(cands)
print(f'unresolved: {len(d["proposals"])}; with an NVD product in the truth: {with_truth}; '
      f'truth on the shortlist: {hit} ({hit3} in the first 3); '
      f'without an NVD product: {none_truth}, of which {none_with_cands} would be sent with candidates')
for r in rows: print('  ', *r)

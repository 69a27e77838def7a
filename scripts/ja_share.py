#!/usr/bin/env python3
"""Share of Japanese questions with no English words except names (issue #17).

usage: ja_share.py DIR [DIR ...]   (folders of kensa.conditions/v1 trees)

An English word is an ASCII token of three or more lower-case letters that
is not part of an identifier (no digits, dots, slashes, underscores or
hyphens next to it): "crafted", "environment". Capitalised words and
acronyms (OpenSSH, TLS, Apache) count as names, and so do quoted option
names and the product a version question names. A rough measure: any other
lower-case product name ("lighttpd") counts as English.
"""
import json, os, re, sys

TOKEN = re.compile(r"[A-Za-z0-9_./\-:@+]+")

def english_words(text, kind):
    # Quoted option names and the product named in a version question are
    # names, not words to translate.
    text = re.sub(r'"[^"]*"', "", text)
    if kind == "version":
        text = re.sub(r"使用中の.*?のバージョン", "", text)
    return [t for t in TOKEN.findall(text) if re.fullmatch(r"[a-z]{3,}", t)]

def leaves(n):
    if "op" in n:
        for c in n["children"]:
            yield from leaves(c)
    else:
        yield n

total = clean = 0
examples = []
for d in sys.argv[1:]:
    for f in sorted(os.listdir(d)):
        doc = json.load(open(os.path.join(d, f)))
        for c in leaves(doc["logic"]):
            q = c.get("question_ja") or ""
            total += 1
            words = english_words(q, c["kind"])
            if not words:
                clean += 1
            elif len(examples) < 8:
                examples.append((c["kind"], words[:4], q[:90]))
print(f"questions={total} without English words={clean} share={clean / total:.3f}")
for e in examples:
    print("  ", e)

//! Damaged input of every format: random truncations, flipped bytes and
//! inserted junk over real records (a deterministic generator, so a failure
//! reproduces). Every import must end in Ok or a clear error, never a panic
//! or an internal error, and a failed import must leave the store unchanged.

use std::path::Path;

use kensa_intel::{ImportError, ImportOptions, import_bytes};
use kensa_store::Store;

const MUTATIONS_PER_INPUT: usize = 120;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel),
    )
    .unwrap()
}

/// xorshift64*: small, deterministic, good enough to pick positions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    match rng.below(5) {
        0 => out.truncate(rng.below(input.len())),
        1 => {
            for _ in 0..=rng.below(4) {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
        }
        2 => {
            let junk: &[&[u8]] = &[
                b"\"",
                b"{",
                b"]",
                b"\\",
                b"\n",
                b"\xff\xfe",
                b"null",
                b"-1e999",
            ];
            let at = rng.below(out.len());
            let piece = junk[rng.below(junk.len())];
            out.splice(at..at, piece.iter().copied());
        }
        3 => {
            // A digit becomes a letter: dates, scores and versions go bad.
            if let Some(i) = (0..out.len())
                .map(|_| rng.below(out.len()))
                .find(|&i| out[i].is_ascii_digit())
            {
                out[i] = b'x';
            }
        }
        _ => {
            let a = rng.below(out.len());
            let b = (a + rng.below(64)).min(out.len());
            let copy = out[a..b].to_vec();
            let at = rng.below(out.len());
            out.splice(at..at, copy);
        }
    }
    out
}

fn snapshot(store: &Store) -> (u64, u64, u64, u64, u64) {
    let s = store.stats().unwrap();
    let records: u64 = s.records_by_kind.values().sum();
    (s.vulnerabilities, records, s.kev, s.epss, s.csaf_documents)
}

#[test]
fn damaged_inputs_fail_cleanly_and_change_nothing() {
    let first_lines = |rel: &str, n: usize| {
        let text = String::from_utf8(fixture(rel)).unwrap();
        text.lines()
            .take(n)
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes()
    };
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("nvd jsonl", first_lines("nvd/sample.api2.jsonl", 3)),
        ("nvd page", fixture("nvd/api-page.json")),
        ("override", fixture("nvd/overrides.jsonl")),
        ("cve5", fixture("cve5/CVE-2024-40711.json")),
        ("osv yaml", fixture("osv/PYSEC-2020-342.yaml")),
        ("osv json", fixture("osv/GHSA-6f9g-cxwr-q5jr.json")),
        (
            "kev csv",
            fixture("kev/known_exploited_vulnerabilities.csv"),
        ),
        (
            "kev json",
            fixture("kev/known_exploited_vulnerabilities.json"),
        ),
        ("epss", fixture("epss/epss_scores-2025-11-20.csv")),
        ("csaf", fixture("csaf/icsa-21-257-15.json")),
        ("gzip", fixture("nvd/sample.api2.jsonl.gz")),
    ];
    let mut store = Store::open_in_memory().unwrap();
    import_bytes(
        &mut store,
        "baseline",
        first_lines("nvd/sample.api2.jsonl", 1),
        &ImportOptions::default(),
    )
    .unwrap();
    let mut rng = Rng(0x4b65_6e73_6121);
    let (mut ok, mut rejected) = (0, 0);
    for (name, input) in &inputs {
        for n in 0..MUTATIONS_PER_INPUT {
            let damaged = mutate(&mut rng, input);
            let before = snapshot(&store);
            let origin = format!("{name}#{n}");
            match import_bytes(&mut store, &origin, damaged, &ImportOptions::default()) {
                Ok(_) => ok += 1,
                Err(e) => {
                    rejected += 1;
                    assert!(
                        !matches!(e, ImportError::Internal { .. }),
                        "{origin}: internal error: {e}"
                    );
                    assert!(e.to_string().starts_with(&origin), "{origin}: {e}");
                    assert_eq!(snapshot(&store), before, "{origin}: store changed by {e}");
                }
            }
        }
    }
    eprintln!("{ok} damaged inputs still imported, {rejected} rejected cleanly");
    assert!(rejected > inputs.len() * MUTATIONS_PER_INPUT / 3);
}

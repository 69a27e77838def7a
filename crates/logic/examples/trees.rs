//! Prints the rules extractor's tree for records, for eyeballing rules on
//! data they were not written for:
//!
//!     cargo run -p kensa-logic --example trees -- FILE.jsonl [N]
//!
//! FILE.jsonl holds one NVD `cve` object or CVE JSON 5 record per line
//! (uncompressed); N limits the records shown.

use kensa_logic::{Node, extract};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: trees FILE.jsonl [N]");
        std::process::exit(2);
    };
    let limit: usize = args
        .get(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    let text = std::fs::read_to_string(path).expect("readable file");
    for (i, line) in text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(limit)
        .enumerate()
    {
        let records = match kensa_intel::parse_record(line.as_bytes()) {
            Ok(r) => r,
            Err(e) => {
                println!("line {}: {e}", i + 1);
                continue;
            }
        };
        let doc = extract::rules(&records);
        let desc = records
            .iter()
            .find_map(|r| r.description("en"))
            .unwrap_or("(no description)");
        println!("== {}  {}", doc.vulnerability, desc);
        show(&doc.logic, 1);
    }
}

fn show(node: &Node, depth: usize) {
    let pad = "  ".repeat(depth);
    match node {
        Node::Group(g) => {
            println!("{pad}{:?}", g.op);
            for c in &g.children {
                show(c, depth + 1);
            }
        }
        Node::Condition(c) => println!("{pad}[{:?}] {}", c.kind, c.text),
    }
}

use super::*;

/// Expected outcomes of every combination, in the order
/// [`DecisionTable::combinations`] enumerates them (columns in header
/// order, each point's values least severe first), one letter each.
/// Transcribed from the trees' published figures.
const COORDINATOR: &str = "TTT TT* TTA TTA  TT* T*A TTA T*A  TTA TAX AAX AXX";
const SUPPLIER: &str = "DS SO SO SO SO OO  SO SI SI OI OI OI  OI OI OI OI II II";
const DEPLOYER: &str = "DDSS DSSS DSSS SSSS DSSS SSSO  DSSS SSSS DSSS SSSO SSSO SSOO  \
                        SSOO SOOO SSOO OOOO SOOI OOII";

fn letter(outcome: &str) -> char {
    match outcome {
        "Track" => 'T',
        "Track*" => '*',
        "Attend" => 'A',
        "Act" => 'X',
        "Defer" => 'D',
        "Scheduled" => 'S',
        "Out-of-Cycle" => 'O',
        "Immediate" => 'I',
        other => panic!("unexpected outcome {other}"),
    }
}

fn points_of(table: &DecisionTable, combination: &[usize]) -> Points {
    table
        .columns()
        .iter()
        .zip(combination)
        .map(|(p, i)| (p.key, p.values[*i]))
        .collect()
}

fn check_every_combination(kind: TreeKind, expected: &str, columns: &[&str]) {
    let table = DecisionTable::builtin(kind);
    let keys: Vec<&str> = table.columns().iter().map(|p| p.key).collect();
    assert_eq!(keys, columns, "{kind:?} decision points");
    let expected: Vec<char> = expected.chars().filter(|c| !c.is_whitespace()).collect();
    let combinations = table.combinations();
    assert_eq!(combinations.len(), expected.len(), "{kind:?}");
    assert_eq!(table.len(), expected.len());
    for (combination, want) in combinations.iter().zip(expected) {
        let points = points_of(&table, combination);
        let got = table.decide(&points).unwrap();
        assert_eq!(letter(got), want, "{kind:?} {points:?} → {got}");
    }
}

#[test]
fn cisa_coordinator_tree_every_combination() {
    check_every_combination(
        TreeKind::Coordinator,
        COORDINATOR,
        &[
            "exploitation",
            "automatable",
            "technical_impact",
            "mission_wellbeing",
        ],
    );
}

#[test]
fn supplier_tree_every_combination() {
    check_every_combination(
        TreeKind::Supplier,
        SUPPLIER,
        &[
            "exploitation",
            "utility",
            "technical_impact",
            "public_safety_impact",
        ],
    );
}

#[test]
fn deployer_tree_every_combination() {
    check_every_combination(
        TreeKind::Deployer,
        DEPLOYER,
        &[
            "exploitation",
            "system_exposure",
            "automatable",
            "human_impact",
        ],
    );
}

/// Raising any one decision point never makes the outcome less urgent.
#[test]
fn every_tree_is_monotone_in_each_point() {
    for kind in TreeKind::ALL {
        let table = DecisionTable::builtin(kind);
        for combination in table.combinations() {
            let here = kind
                .urgency(table.decide(&points_of(&table, &combination)).unwrap())
                .unwrap();
            for (col, point) in table.columns().iter().enumerate() {
                if combination[col] + 1 < point.values.len() {
                    let mut up = combination.clone();
                    up[col] += 1;
                    let there = kind
                        .urgency(table.decide(&points_of(&table, &up)).unwrap())
                        .unwrap();
                    assert!(
                        there >= here,
                        "{kind:?}: raising {} lowers the outcome at {combination:?}",
                        point.key
                    );
                }
            }
        }
    }
}

#[test]
fn values_as_sources_spell_them() {
    assert_eq!(normalize_value(&EXPLOITATION, "PoC"), Some("poc"));
    assert_eq!(normalize_value(&EXPLOITATION, "public poc"), Some("poc"));
    assert_eq!(normalize_value(&TECHNICAL_IMPACT, "Total"), Some("total"));
    assert_eq!(
        normalize_value(&UTILITY, "super_effective"),
        Some("super effective")
    );
    assert_eq!(
        normalize_value(&HUMAN_IMPACT, "very-high"),
        Some("very high")
    );
    assert_eq!(normalize_value(&AUTOMATABLE, "maybe"), None);
}

const SMALL: &str = "exploitation,automatable,decision\n\
                     none,no,Track\nnone,yes,Track\npoc,no,Track\npoc,yes,Attend\n\
                     active,no,Attend\nactive,yes,Act\n";

#[test]
fn a_team_table_replaces_the_builtin_one() {
    let table = DecisionTable::parse(TreeKind::Coordinator, SMALL, "team.csv").unwrap();
    assert_eq!(table.len(), 6);
    let points: Points = [
        ("exploitation", "poc"),
        ("automatable", "yes"),
        ("technical_impact", "partial"),
    ]
    .into_iter()
    .collect();
    assert_eq!(table.decide(&points).unwrap(), "Attend");

    let dir = std::env::temp_dir().join(format!("kensa-ssvc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("team.csv");
    std::fs::write(&path, SMALL.replace("active,yes,Act", "active,yes,Attend")).unwrap();
    let loaded = DecisionTable::load(TreeKind::Coordinator, &path).unwrap();
    let active: Points = [("exploitation", "active"), ("automatable", "yes")]
        .into_iter()
        .collect();
    assert_eq!(loaded.decide(&active).unwrap(), "Attend");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_tables_are_refused_with_the_place() {
    let err = |text: &str| {
        DecisionTable::parse(TreeKind::Coordinator, text, "team.csv")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(&SMALL.replace("poc,yes,Attend", "poc,sometimes,Attend")),
        "team.csv line 5, column automatable: unknown value `sometimes`; valid values: no, yes"
    );
    assert_eq!(
        err(&SMALL.replace("poc,yes,Attend", "poc,yes,Later")),
        "team.csv line 5, column decision: unknown value `Later`; valid values: Track, Track*, Attend, Act"
    );
    assert_eq!(
        err(&SMALL.replace("poc,yes,Attend", "poc,no,Attend")),
        "team.csv line 5: duplicate combination, already decided on line 4"
    );
    assert_eq!(
        err(&SMALL.replace("poc,yes,Attend\n", "")),
        "team.csv: 1 combinations have no row, e.g. exploitation=poc,automatable=yes"
    );
    assert!(
        err(&SMALL.replace("automatable,decision", "automation,decision")).contains(
            "unknown decision point column `automation`; known: exploitation, automatable"
        ),
    );
    assert!(
        err(&SMALL.replace("automatable,decision", "automatable,outcome"))
            .contains("the last column must be `decision`, found `outcome`")
    );
    let missing = DecisionTable::load(TreeKind::Supplier, Path::new("/nonexistent/t.csv"))
        .unwrap_err()
        .to_string();
    assert!(missing.starts_with("/nonexistent/t.csv: "), "{missing}");
}

#[test]
fn deciding_without_a_needed_point_is_an_error() {
    let table = DecisionTable::builtin(TreeKind::Supplier);
    let points: Points = [("exploitation", "none")].into_iter().collect();
    assert_eq!(
        table.decide(&points).unwrap_err().to_string(),
        "the supplier table needs the decision point `utility`, which was not given"
    );
}

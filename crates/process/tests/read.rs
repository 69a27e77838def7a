//! Historian exports as users have them: separators, decimal commas, date
//! formats, gzip, long form, and errors that name the file and line.

use std::io::Write;
use std::path::{Path, PathBuf};

use kensa_process::Error;
use kensa_process::read::{self, ReadOptions, Record, format_time};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn read_all(path: &Path, options: &ReadOptions) -> Result<(Vec<String>, Vec<Record>), Error> {
    let mut source = read::open(path, options)?;
    let columns = source.columns().to_vec();
    let mut out = Vec::new();
    let mut record = Record::default();
    while source.next_row(&mut record)? {
        out.push(record.clone());
    }
    Ok((columns, out))
}

#[test]
fn semicolons_decimal_commas_and_day_first_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "plant.csv",
        "Zeitstempel;Level;Pump\n13.01.2024 08:00:00;3,25;ON\n13.01.2024 08:01:00;3,5;off\n",
    );
    let (columns, rows) = read_all(&path, &ReadOptions::default()).unwrap();
    assert_eq!(columns, ["Level", "Pump"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].values, vec![3.25, 1.0]);
    assert_eq!(format_time(rows[1].time.unwrap()), "2024-01-13T08:01:00Z");
    assert_eq!(rows[1].values, vec![3.5, 0.0]);
    assert_eq!(rows[1].line, 3);

    let unknown = write(
        dir.path(),
        "words.csv",
        "Zeitstempel;Level;Pump\n13.01.2024 08:00:00;3,25;EIN\n",
    );
    let e = rows_of(&unknown).unwrap_err().to_string();
    assert!(
        e.contains("words.csv line 2") && e.contains("column Pump") && e.contains("EIN"),
        "{e}"
    );
}

fn rows_of(path: &Path) -> Result<(Vec<String>, Vec<Record>), Error> {
    read_all(path, &ReadOptions::default())
}

#[test]
fn gzip_is_read_by_its_magic_bytes_and_gaps_stay_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.dat");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(b"timestamp,a,b\n2024-01-13T08:00:00Z,1.5,\n2024-01-13T09:00:00+01:00,NaN,true\n")
        .unwrap();
    gz.finish().unwrap();
    let (columns, rows) = read_all(&path, &ReadOptions::default()).unwrap();
    assert_eq!(columns, ["a", "b"]);
    assert!(rows[0].values[1].is_nan());
    assert!(rows[1].values[0].is_nan());
    assert_eq!(rows[1].values[1], 1.0);
    // 09:00 at +01:00 is 08:00 UTC.
    assert_eq!(rows[0].time, rows[1].time);
}

#[test]
fn the_time_column_is_found_by_content_and_month_first_dates_by_their_days() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "x.csv",
        "when,flow\n01/12/2024 10:00 PM,4\n01/13/2024 10:00 PM,5\n",
    );
    let (columns, rows) = read_all(&path, &ReadOptions::default()).unwrap();
    assert_eq!(columns, ["flow"]);
    assert_eq!(rows[0].time_text, "01/12/2024 10:00 PM");
    assert_eq!(format_time(rows[1].time.unwrap()), "2024-01-13T22:00:00Z");
}

#[test]
fn long_form_csv_and_json_lines_become_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "long.csv",
        "time,tag,value\n2024-01-13 08:00,L1,2.5\n2024-01-13 08:00,P1,on\n2024-01-13 08:01,L1,2.6\n2024-01-13 08:02,P1,off\n",
    );
    let (columns, rows) = read_all(&csv, &ReadOptions::default()).unwrap();
    assert_eq!(columns, ["L1", "P1"]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].values, vec![2.5, 1.0]);
    assert!(
        rows[1].values[1].is_nan(),
        "a tag not reported in a row is missing there"
    );
    assert_eq!(rows[2].line, 5);

    let jsonl = write(
        dir.path(),
        "long.jsonl",
        "{\"ts\":\"2024-01-13T08:00:00Z\",\"tag\":\"L1\",\"value\":2.5}\n{\"ts\":\"2024-01-13T08:00:00Z\",\"tag\":\"P1\",\"value\":true}\n\n{\"ts\":1705132860,\"tag\":\"L1\",\"value\":null}\n",
    );
    let (columns, rows) = read_all(&jsonl, &ReadOptions::default()).unwrap();
    assert_eq!(columns, ["L1", "P1"]);
    assert_eq!(rows[0].values, vec![2.5, 1.0]);
    assert_eq!(format_time(rows[1].time.unwrap()), "2024-01-13T08:01:00Z");
}

#[test]
fn errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let short = write(
        dir.path(),
        "short.csv",
        "time,a,b\n2024-01-13 08:00,1,2\n2024-01-13 08:01,1\n",
    );
    let e = read_all(&short, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("short.csv line 3") && e.contains("2 fields, but the header has 3"),
        "{e}"
    );

    let bad_time = write(
        dir.path(),
        "time.csv",
        "time,a\n2024-01-13 08:00,1\nyesterday,2\n",
    );
    let e = read_all(&bad_time, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("time.csv line 3") && e.contains("yesterday"),
        "{e}"
    );

    let bad_json = write(
        dir.path(),
        "bad.jsonl",
        "{\"time\":\"2024-01-13T08:00:00Z\",\"tag\":\"a\",\"value\":1}\n{\"time\":\"x\",\"tag\":\"a\"}\n",
    );
    let e = read::open(&bad_json, &ReadOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("bad.jsonl line 2") && e.contains("no value"),
        "{e}"
    );

    let options = ReadOptions {
        time_column: Some("stamp".into()),
        ..Default::default()
    };
    let e = read::open(&short, &options).err().unwrap().to_string();
    assert!(e.contains("no column named \"stamp\""), "{e}");

    let e = read::open(&dir.path().join("absent.csv"), &ReadOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("absent.csv"), "{e}");
}

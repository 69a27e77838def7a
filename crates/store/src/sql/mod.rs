//! SQL that runs on both backends: the team's state (accounts, grants,
//! tokens, sessions, the audit trail, …) is written once against [`Db`],
//! and the same statements run on the embedded SQLite file or on a
//! PostgreSQL server.
//!
//! Statements are written in the dialect both understand — `?1`-numbered
//! parameters (rewritten to `$1` for PostgreSQL), `ON CONFLICT … DO`,
//! `RETURNING id`, timestamps as RFC 3339 text made in Rust, and
//! `CAST(?1 AS BIGINT) IS NULL` where a parameter may be NULL (PostgreSQL
//! must know each parameter's type) — so that no rule is written twice. Values cross as a small [`Value`] enum: integers,
//! reals, text and bytes, the types both store natively; PostgreSQL's
//! booleans read back as integers 0/1, as SQLite's do.

mod sqlite;
pub(crate) use sqlite::SqliteDb;

#[cfg(feature = "postgres")]
mod pg;
#[cfg(feature = "postgres")]
pub(crate) use pg::{PgDb, Statements, pg_error};

use crate::{Result, StoreError};

/// One value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A Rust value that can be bound as a parameter.
pub(crate) trait Param {
    fn value(&self) -> Value;
}

impl Param for i64 {
    fn value(&self) -> Value {
        Value::Int(*self)
    }
}
impl Param for bool {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl Param for f64 {
    fn value(&self) -> Value {
        Value::Real(*self)
    }
}
impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl Param for [u8] {
    fn value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl Param for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// One row of a result, read by column position.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    /// Column `i` as `T`; a type the column cannot hold is corrupt data.
    pub(crate) fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        let value = self.0.get(i).unwrap_or(&Value::Null);
        T::from_value(value).ok_or_else(|| StoreError::Corrupt {
            what: format!("column {i}"),
            message: format!("{value:?} is not {}", T::NAME),
        })
    }
}

/// A Rust value a column can be read as.
pub(crate) trait FromValue: Sized {
    const NAME: &'static str;
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    const NAME: &'static str = "an integer";
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }
}
impl FromValue for bool {
    const NAME: &'static str = "a boolean";
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|n| n != 0)
    }
}
impl FromValue for f64 {
    const NAME: &'static str = "a number";
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(x) => Some(*x),
            Value::Int(n) => Some(*n as f64),
            _ => None,
        }
    }
}
impl FromValue for String {
    const NAME: &'static str = "text";
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromValue for Vec<u8> {
    const NAME: &'static str = "bytes";
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    const NAME: &'static str = T::NAME;
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A connection or transaction on either backend.
pub(crate) trait Db {
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> Result<u64>;
    /// Every row a query returns.
    fn query(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>>;

    /// Whether this is PostgreSQL: for the few constructs the dialects
    /// spell differently (see [`int_list`], [`join_in_order`]).
    fn is_postgres(&self) -> bool {
        false
    }

    /// The first row, if any.
    fn query_opt(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// The first column of the one row a query must return.
pub(crate) fn one<T: FromValue>(
    db: &mut (impl Db + ?Sized),
    sql: &str,
    params: &[&dyn Param],
) -> Result<T> {
    db.query_opt(sql, params)?
        .ok_or_else(|| StoreError::Corrupt {
            what: "query".into(),
            message: format!("no row from `{}`", sql.trim()),
        })?
        .get(0)
}

/// The first column of the first row, if there is a row.
pub(crate) fn first<T: FromValue>(
    db: &mut (impl Db + ?Sized),
    sql: &str,
    params: &[&dyn Param],
) -> Result<Option<T>> {
    db.query_opt(sql, params)?.map(|r| r.get(0)).transpose()
}

/// A subquery yielding the integers of the JSON array bound as parameter
/// `n` (`[1,2]`): how a list is bound as one parameter on both backends.
pub(crate) fn int_list(db: &(impl Db + ?Sized), n: usize) -> String {
    if db.is_postgres() {
        format!(
            "SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(CAST(?{n} AS TEXT) AS json)) AS value"
        )
    } else {
        format!("SELECT value FROM json_each(?{n})")
    }
}

/// [`int_list`] for a JSON array of text.
pub(crate) fn text_list(db: &(impl Db + ?Sized), n: usize) -> String {
    if db.is_postgres() {
        format!(
            "SELECT value FROM json_array_elements_text(CAST(CAST(?{n} AS TEXT) AS json)) AS value"
        )
    } else {
        format!("SELECT value FROM json_each(?{n})")
    }
}

/// A join that SQLite must evaluate in the order written (its planner
/// cannot see that a LIMIT stops a priority-ordered walk early);
/// PostgreSQL plans by cost and has no such spelling.
pub(crate) fn join_in_order(db: &(impl Db + ?Sized)) -> &'static str {
    if db.is_postgres() {
        "JOIN"
    } else {
        "CROSS JOIN"
    }
}

/// A column's type where a statement must name it (PostgreSQL cannot
/// infer a parameter's type inside `VALUES` that is not an insert's).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    Int,
    Text,
    Blob,
}

/// `(?1, ?2), (?3, ?4), …`: `rows` rows of parameters of these types, for
/// multi-row `INSERT … VALUES` and `UPDATE … FROM (VALUES …)`: one round
/// trip for many rows on a database server.
pub(crate) fn values_rows(db: &(impl Db + ?Sized), rows: usize, types: &[Ty]) -> String {
    let mut out = String::with_capacity(rows * types.len() * 12);
    let mut n = 0;
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for (c, ty) in types.iter().enumerate() {
            n += 1;
            if c > 0 {
                out.push_str(", ");
            }
            if db.is_postgres() {
                let name = match ty {
                    Ty::Int => "BIGINT",
                    Ty::Text => "TEXT",
                    Ty::Blob => "BYTEA",
                };
                out.push_str(&format!("CAST(?{n} AS {name})"));
            } else {
                out.push_str(&format!("?{n}"));
            }
        }
        out.push(')');
    }
    out
}

/// Owned values as the parameters of a statement.
pub(crate) fn params(values: &[Value]) -> Vec<&dyn Param> {
    values.iter().map(|v| v as &dyn Param).collect()
}

/// Rows per multi-row statement: well under both backends' parameter limits.
pub(crate) const BATCH_ROWS: usize = 256;

/// Row locks for a claim: PostgreSQL skips rows another transaction is
/// claiming; SQLite's transaction holds the whole database's write lock.
pub(crate) fn skip_locked(db: &(impl Db + ?Sized)) -> &'static str {
    if db.is_postgres() {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    }
}

/// Makes concurrent transactions that touch `key` run one after the other
/// until they end, as SQLite's write lock does for every transaction; on
/// PostgreSQL (read committed) a transaction-scoped advisory lock.
pub(crate) fn serialize_on(db: &mut (impl Db + ?Sized), key: &str) -> Result<()> {
    if db.is_postgres() {
        db.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
            &[&key],
        )?;
    }
    Ok(())
}

/// A `meta` value of the team's state (cursors, revisions).
pub(crate) fn meta(db: &mut (impl Db + ?Sized), key: &str) -> Result<Option<String>> {
    first(db, "SELECT value FROM meta WHERE key = ?1", &[&key])
}

/// Sets a `meta` value of the team's state.
pub(crate) fn set_meta(db: &mut (impl Db + ?Sized), key: &str, value: &str) -> Result<()> {
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )?;
    Ok(())
}

/// `?N` placeholders as PostgreSQL's `$N`, leaving quoted text alone.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn numbered_dollars(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            numbered_dollars("SELECT '?1', \"a?\" FROM t WHERE a = ?1 AND (?2 IS NULL OR b = ?2)"),
            "SELECT '?1', \"a?\" FROM t WHERE a = $1 AND ($2 IS NULL OR b = $2)"
        );
    }

    #[test]
    fn rows_read_as_what_they_hold() {
        let row = Row(vec![Value::Int(1), Value::Null, Value::Text("x".into())]);
        assert!(row.get::<bool>(0).unwrap());
        assert_eq!(row.get::<Option<String>>(1).unwrap(), None);
        assert_eq!(row.get::<String>(2).unwrap(), "x");
        let e = row.get::<i64>(2).unwrap_err().to_string();
        assert!(e.contains("column 2") && e.contains("integer"), "{e}");
    }
}

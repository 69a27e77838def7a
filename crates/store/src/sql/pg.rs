//! [`Db`] on a PostgreSQL server.

use std::collections::HashMap;
use std::error::Error;

use postgres::GenericClient;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::{Db, Param, Row, Value, numbered_dollars};
use crate::{Result, StoreError};

/// Statements prepared on one connection, by their SQL as written.
#[derive(Default)]
pub(crate) struct Statements(HashMap<String, postgres::Statement>);

/// A client or transaction of a PostgreSQL connection, with the
/// connection's prepared statements.
pub(crate) struct PgDb<'a, C: GenericClient> {
    pub(crate) client: &'a mut C,
    pub(crate) statements: &'a mut Statements,
}

impl<C: GenericClient> PgDb<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.statements.0.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self
            .client
            .prepare(&numbered_dollars(sql))
            .map_err(pg_error)?;
        self.statements.0.insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }
}

impl<C: GenericClient> Db for PgDb<'_, C> {
    fn is_postgres(&self) -> bool {
        true
    }

    fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> Result<u64> {
        let statement = self.statement(sql)?;
        let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        self.client.execute(&statement, &refs).map_err(pg_error)
    }

    fn query(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        let rows = self.client.query(&statement, &refs).map_err(pg_error)?;
        rows.iter().map(read_row).collect()
    }
}

/// A unique key already taken is a conflict the caller can explain, as a
/// concurrent writer on another node can cause it; other errors stay
/// database errors.
pub(crate) fn pg_error(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) if *db.code() == postgres::error::SqlState::UNIQUE_VIOLATION => {
            StoreError::Conflict(db.detail().unwrap_or(db.message()).to_string())
        }
        _ => StoreError::Pg(e),
    }
}

fn read_row(row: &postgres::Row) -> Result<Row> {
    (0..row.len())
        .map(|i| read(row, i).map_err(pg_error))
        .collect::<Result<Vec<_>>>()
        .map(Row)
}

fn read(row: &postgres::Row, i: usize) -> std::result::Result<Value, postgres::Error> {
    let ty = row.columns()[i].type_();
    Ok(match *ty {
        // What functions called for their effect return (advisory locks).
        Type::VOID => Value::Null,
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map_or(Value::Null, |n| Value::Int(n.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map_or(Value::Null, |n| Value::Int(n.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, |b| Value::Int(b.into())),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)?
            .map_or(Value::Null, Value::Real),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)?
            .map_or(Value::Null, |x| Value::Real(x.into())),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Value::Null, Value::Blob),
        // TEXT, VARCHAR, NAME, …: anything else must read as text.
        _ => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text),
    })
}

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) => int_to_sql(*n, ty, out),
            Value::Real(x) => match *ty {
                Type::FLOAT4 => (*x as f32).to_sql(ty, out),
                _ => x.to_sql(ty, out),
            },
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    /// Any column type: the value converts to it in `to_sql` or says why not.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn int_to_sql(
    n: i64,
    ty: &Type,
    out: &mut bytes::BytesMut,
) -> std::result::Result<IsNull, BoxError> {
    match *ty {
        Type::INT8 => n.to_sql(ty, out),
        Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
        Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
        Type::BOOL => (n != 0).to_sql(ty, out),
        Type::FLOAT8 => (n as f64).to_sql(ty, out),
        _ => Err(format!("the integer {n} cannot be stored as {ty}").into()),
    }
}

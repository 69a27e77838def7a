//! Alerts from network sensors: `kensa ot monitor --server` sends each
//! alert as it is raised or updated; the team sees them in one place.
//!
//! Alerts concern the plant's network, not one product, so they follow
//! global grants: a sensor's token needs a global analyst grant (or
//! higher) to deliver, a reader a global grant of any role.

use kensa_model::team::Role;
use kensa_store::Store;
use kensa_store::team::{AlertFilter, AlertRow, NewAlert};
use serde_json::Value;

use crate::access::Actor;
use crate::page::{self, Page};
use crate::{AppError, Result};

/// The most alerts one delivery may carry.
pub const MAX_BATCH: usize = 1000;

const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

/// A severity's rank (info 0 … critical 4).
pub fn rank(severity: &str) -> Option<u8> {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .map(|r| r as u8)
}

fn require_global(actor: &Actor, need: Role, what: &str) -> Result<()> {
    match actor.global_role() {
        Some(r) if r >= need => Ok(()),
        _ => Err(AppError::Forbidden(format!(
            "{what} needs a global {need} grant: alerts concern the plant's network, not one product"
        ))),
    }
}

/// Checks a sensor name from outside.
fn check_sensor(sensor: &str) -> Result<()> {
    let ok = !sensor.is_empty()
        && sensor.len() <= 64
        && sensor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "sensor",
            format!("`{sensor}` is not a sensor name: 1 to 64 letters, digits and . _ - : @"),
        ))
    }
}

/// One alert of a delivery, checked field by field (`alerts[3].severity`).
fn parse(i: usize, v: &Value) -> Result<NewAlert> {
    let at = |field: &str| format!("alerts[{i}].{field}");
    let text = |field: &str, max: usize| -> Result<String> {
        let s = v[field]
            .as_str()
            .ok_or_else(|| AppError::invalid(at(field), "must be a string"))?;
        if s.chars().count() > max {
            return Err(AppError::invalid(
                at(field),
                format!("longer than {max} characters"),
            ));
        }
        Ok(s.to_string())
    };
    if !v.is_object() {
        return Err(AppError::invalid(
            format!("alerts[{i}]"),
            "must be an alert object",
        ));
    }
    let severity = text("severity", 16)?;
    let rank = rank(&severity).ok_or_else(|| {
        AppError::invalid(
            at("severity"),
            format!("`{severity}` is not one of {}", SEVERITIES.join(", ")),
        )
    })?;
    let count = match &v["count"] {
        Value::Null => 1,
        c => c
            .as_u64()
            .ok_or_else(|| AppError::invalid(at("count"), "must be a whole number"))?,
    };
    Ok(NewAlert {
        alert_id: text("id", 200)?,
        rule: text("rule", 64)?,
        src: text("src", 200)?,
        dst: text("dst", 200)?,
        explanation: text("explanation", 4000)?,
        severity,
        rank,
        count,
        body: v.clone(),
    })
}

/// Stores a sensor's delivery: a JSON array of alerts as `kensa ot
/// monitor` writes them. All or nothing. Returns (new, updated).
pub fn receive(
    store: &mut Store,
    actor: &Actor,
    sensor: &str,
    alerts: &Value,
) -> Result<(usize, usize)> {
    require_global(actor, Role::Analyst, "sending alerts")?;
    check_sensor(sensor)?;
    let list = alerts
        .as_array()
        .ok_or_else(|| AppError::invalid("alerts", "must be an array of alerts"))?;
    if list.len() > MAX_BATCH {
        return Err(AppError::invalid(
            "alerts",
            format!("{} alerts in one delivery; at most {MAX_BATCH}", list.len()),
        ));
    }
    let parsed = list
        .iter()
        .enumerate()
        .map(|(i, v)| parse(i, v))
        .collect::<Result<Vec<_>>>()?;
    Ok(store.store_alerts(
        sensor,
        &parsed,
        actor.entry("alerts.receive", format!("sensor:{sensor}")),
    )?)
}

/// Alerts, most recently active first, at least `min_severity`.
pub fn list(
    store: &Store,
    actor: &Actor,
    min_severity: Option<&str>,
    sensor: Option<&str>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<Page<AlertRow>> {
    require_global(actor, Role::Viewer, "reading alerts")?;
    let min_rank = match min_severity {
        Some(s) => rank(s).ok_or_else(|| {
            AppError::invalid(
                "severity",
                format!("`{s}` is not one of {}", SEVERITIES.join(", ")),
            )
        })?,
        None => 0,
    };
    let limit = page::limit(limit)?;
    let after = cursor
        .map(|c| {
            let p = page::decode_cursor(c, 2)?;
            let id = p[1]
                .parse()
                .map_err(|_| AppError::invalid("cursor", "not a cursor this list returned"))?;
            Ok::<_, AppError>((p[0].clone(), id))
        })
        .transpose()?;
    let items = store.alerts(&AlertFilter {
        min_rank,
        sensor: sensor.map(str::to_string),
        after,
        limit: limit + 1,
    })?;
    Ok(Page::from_one_extra(items, limit, |a| {
        page::encode_cursor(&[&a.updated_at, &a.row_id.to_string()])
    }))
}

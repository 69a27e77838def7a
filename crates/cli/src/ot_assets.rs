//! From an alert to the vulnerable asset (placeholder until wired).

use anyhow::Result;
use kensa_ot::baseline::Baseline;
use kensa_ot::detect::Alert;

use crate::Ctx;

pub struct Annotation {
    pub json: serde_json::Value,
    pub summary: String,
}

pub struct Enricher;

impl Enricher {
    pub fn from_ctx(_ctx: &Ctx, _baseline: &Baseline) -> Result<Option<Enricher>> {
        Ok(None)
    }

    pub fn annotate(&mut self, _a: &Alert) -> Option<Annotation> {
        None
    }
}

//! Vector strings as metric → value maps, checked against a version's
//! metric definitions. Scoring modules read values by metric key.

use super::{CvssError, CvssErrorKind};

/// One metric of a CVSS version: its abbreviation in vectors, its name, and
/// the values a vector may give it. The first value of an optional metric
/// is its "Not Defined" value.
pub(crate) struct MetricDef {
    pub key: &'static str,
    pub name: &'static str,
    pub values: &'static [&'static str],
    pub required: bool,
}

pub(crate) const fn req(
    key: &'static str,
    name: &'static str,
    values: &'static [&'static str],
) -> MetricDef {
    MetricDef {
        key,
        name,
        values,
        required: true,
    }
}

pub(crate) const fn opt(
    key: &'static str,
    name: &'static str,
    values: &'static [&'static str],
) -> MetricDef {
    MetricDef {
        key,
        name,
        values,
        required: false,
    }
}

/// A parsed vector: one value per definition, in definition order; optional
/// metrics the vector leaves out hold their "Not Defined" value.
#[derive(Clone)]
pub(crate) struct Metrics {
    defs: &'static [MetricDef],
    values: Vec<&'static str>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl Metrics {
    /// Parses `AV:N/AC:L/...` (without the version prefix). Order is not
    /// enforced: publishers do not all follow the specified order.
    pub fn parse(
        vector: &str,
        body: &str,
        defs: &'static [MetricDef],
    ) -> Result<Metrics, CvssError> {
        let err = |kind| CvssError {
            vector: vector.to_string(),
            kind,
        };
        let mut values: Vec<Option<&'static str>> = vec![None; defs.len()];
        for part in body.split('/') {
            let Some((key, value)) = part.split_once(':') else {
                return Err(err(CvssErrorKind::Malformed(format!(
                    "`{part}` is not METRIC:VALUE"
                ))));
            };
            let Some(i) = defs.iter().position(|d| d.key == key) else {
                return Err(err(CvssErrorKind::UnknownMetric {
                    metric: key.to_string(),
                    known: defs.iter().map(|d| d.key).collect::<Vec<_>>().join(", "),
                }));
            };
            let def = &defs[i];
            let Some(v) = def.values.iter().find(|v| **v == value) else {
                return Err(err(invalid_value(def, value)));
            };
            if values[i].is_some() {
                return Err(err(CvssErrorKind::Duplicate(key.to_string())));
            }
            values[i] = Some(v);
        }
        let mut out = Vec::with_capacity(defs.len());
        for (def, v) in defs.iter().zip(values) {
            match v {
                Some(v) => out.push(v),
                None if def.required => {
                    return Err(err(CvssErrorKind::Missing {
                        metric: def.key.to_string(),
                        name: def.name.to_string(),
                    }));
                }
                None => out.push(def.values[0]),
            }
        }
        Ok(Metrics { defs, values: out })
    }

    /// The value of `key`; panics on a key the version does not define,
    /// which is a programming error in a scoring module.
    pub fn get(&self, key: &str) -> &'static str {
        let i = self.index(key);
        self.values[i]
    }

    /// Whether the metric holds something other than its "Not Defined" value.
    pub fn is_defined(&self, key: &str) -> bool {
        let i = self.index(key);
        self.defs[i].required || self.values[i] != self.defs[i].values[0]
    }

    /// Sets a metric, checking the value against the definition.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), CvssErrorKind> {
        let Some(i) = self.defs.iter().position(|d| d.key == key) else {
            return Err(CvssErrorKind::UnknownMetric {
                metric: key.to_string(),
                known: self
                    .defs
                    .iter()
                    .map(|d| d.key)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let def = &self.defs[i];
        match def.values.iter().find(|v| **v == value) {
            Some(v) => {
                self.values[i] = v;
                Ok(())
            }
            None => Err(invalid_value(def, value)),
        }
    }

    /// Resets every optional metric of `keys` to "Not Defined".
    pub fn clear(&mut self, keys: &[&str]) {
        for key in keys {
            let i = self.index(key);
            if !self.defs[i].required {
                self.values[i] = self.defs[i].values[0];
            }
        }
    }

    /// The vector body in definition order; `all` includes metrics that are
    /// not defined.
    pub fn render(&self, all: bool) -> String {
        self.defs
            .iter()
            .zip(&self.values)
            .filter(|(d, v)| all || d.required || **v != d.values[0])
            .map(|(d, v)| format!("{}:{v}", d.key))
            .collect::<Vec<_>>()
            .join("/")
    }

    fn index(&self, key: &str) -> usize {
        self.defs
            .iter()
            .position(|d| d.key == key)
            .unwrap_or_else(|| panic!("metric {key} is not defined for this CVSS version"))
    }
}

fn invalid_value(def: &MetricDef, value: &str) -> CvssErrorKind {
    CvssErrorKind::InvalidValue {
        metric: def.key.to_string(),
        name: def.name.to_string(),
        value: value.to_string(),
        valid: def.values.join(", "),
    }
}

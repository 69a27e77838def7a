//! Package URLs, as far as name resolution reads them.

/// The parts of a package URL that resolution uses.
pub struct Purl {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    /// `?key=value&…`, values decoded, keys lower-cased (`distro`, `arch`,
    /// `upstream`).
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    /// `pkg:type/namespace/name@version?qualifiers#subpath`, percent-decoding
    /// the common escapes.
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.strip_prefix("pkg:")?;
        let rest = rest.split('#').next()?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) if !p.is_empty() && !p.ends_with('/') => (p, Some(decode(v))),
            _ => (rest, None),
        };
        let mut parts = path.split('/');
        let kind = parts.next()?.to_ascii_lowercase();
        let segments: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
        let (name, ns) = segments.split_last()?;
        let qualifiers = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
            .collect();
        Some(Purl {
            kind,
            namespace: (!ns.is_empty()).then(|| decode(&ns.join("/"))),
            name: decode(name),
            version,
            qualifiers,
        })
    }

    /// The value of a qualifier (`distro`, `upstream`, …).
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(s: &str) -> String {
    s.replace("%40", "@")
        .replace("%2B", "+")
        .replace("%2b", "+")
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%3A", ":")
        .replace("%20", " ")
}

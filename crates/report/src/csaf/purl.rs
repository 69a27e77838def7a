//! Package URL validity (test 6.1.13), after the purl specification:
//! `pkg:type/namespace/name@version?qualifiers#subpath`.

/// `Ok` for a valid purl; `Err` says which part is wrong.
pub fn check(purl: &str) -> Result<(), String> {
    let rest = purl
        .strip_prefix("pkg:")
        .ok_or("it does not start with `pkg:`")?;
    let rest = rest.trim_start_matches('/');
    let (rest, subpath) = match rest.split_once('#') {
        Some((r, s)) => (r, Some(s)),
        None => (rest, None),
    };
    let (rest, qualifiers) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (path, version) = match rest.rsplit_once('@') {
        Some((p, v)) => (p, Some(v)),
        None => (rest, None),
    };
    let (kind, name_path) = path.split_once('/').ok_or("it has no type and name")?;
    let first = kind.chars().next().ok_or("the type is empty")?;
    if !first.is_ascii_alphabetic()
        || !kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c))
    {
        return Err(format!("`{kind}` is not a valid type"));
    }
    let segments: Vec<&str> = name_path.trim_end_matches('/').split('/').collect();
    let name = segments.last().copied().unwrap_or("");
    if decode(name)?.is_empty() {
        return Err("the name is empty".into());
    }
    for s in &segments[..segments.len() - 1] {
        if decode(s)?.is_empty() {
            return Err("a namespace segment is empty".into());
        }
    }
    if let Some(v) = version
        && decode(v)?.is_empty()
    {
        return Err("the version after `@` is empty".into());
    }
    if let Some(q) = qualifiers {
        let mut keys = Vec::new();
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or(format!("qualifier `{pair}` has no `=`"))?;
            let ok_key = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
            if !ok_key {
                return Err(format!("`{k}` is not a valid qualifier key"));
            }
            if decode(v)?.is_empty() {
                return Err(format!("qualifier `{k}` has no value"));
            }
            let k = k.to_ascii_lowercase();
            if keys.contains(&k) {
                return Err(format!("qualifier `{k}` is given twice"));
            }
            keys.push(k);
        }
    }
    if let Some(s) = subpath {
        for seg in s.split('/') {
            decode(seg)?;
        }
    }
    Ok(())
}

/// Percent-decodes, refusing malformed escapes.
fn decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or(format!("`{s}` has a cut-off percent escape"))?;
            out.push(
                u8::from_str_radix(hex, 16)
                    .map_err(|_| format!("`{s}` has an invalid percent escape"))?,
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{s}` is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn names_are_required_and_escapes_checked() {
        assert!(
            check("pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources").is_ok()
        );
        assert!(check("pkg:npm/%40angular/animation@12.3.1").is_ok());
        assert!(check("pkg:maven/@1.3.4").is_err());
        assert!(check("pkg:npm/foo%zz").is_err());
        assert!(check("pkg:1npm/foo").is_err());
        assert!(check("pkg:npm/foo?a=1&a=2").is_err());
    }
}

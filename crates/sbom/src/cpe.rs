//! CPE names as SBOMs carry them, as CPE 2.3 formatted strings: 2.3 names
//! are checked, 2.2 URIs (`cpe:/a:vendor:product:1.0`) are converted
//! following the URI unbinding and formatted-string binding of NISTIR 7695.

use kensa_model::cpe::Cpe;

use crate::ctx::Ctx;
use crate::error::Location;

/// A CPE as a 2.3 formatted string; a 2.2 URI is converted, anything else
/// kept as it is, with a warning.
pub(crate) fn normalise(ctx: &mut Ctx<'_>, cpe: String, at: Location) -> String {
    match read(&cpe) {
        Ok(name) => name.into_string(),
        Err(why) => {
            ctx.note(at, format!("{why}; kept as it is"));
            cpe
        }
    }
}

/// How a CPE field was read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CpeName {
    /// Already a well-formed CPE 2.3 formatted string.
    Cpe23(String),
    /// A CPE 2.2 URI, converted.
    Converted(String),
}

impl CpeName {
    pub(crate) fn into_string(self) -> String {
        match self {
            CpeName::Cpe23(s) | CpeName::Converted(s) => s,
        }
    }
}

/// Reads a CPE name; the error says why it is neither form.
pub(crate) fn read(name: &str) -> Result<CpeName, String> {
    let name = name.trim();
    if name.starts_with("cpe:2.3:") {
        return Cpe::parse(name)
            .map(|_| CpeName::Cpe23(name.to_string()))
            .map_err(|e| e.to_string());
    }
    if name.len() >= 5 && name[..5].eq_ignore_ascii_case("cpe:/") {
        return from_uri(&name[5..]).map(CpeName::Converted);
    }
    Err(format!(
        "`{name}` is neither a CPE 2.3 formatted string nor a CPE 2.2 URI"
    ))
}

/// Converts the part of a 2.2 URI after `cpe:/`.
fn from_uri(rest: &str) -> Result<String, String> {
    let uri = format!("cpe:/{rest}");
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() > 7 {
        return Err(format!(
            "CPE 2.2 URI `{uri}` has {} components, at most 7 expected",
            parts.len()
        ));
    }
    let part = match parts[0].to_ascii_lowercase().as_str() {
        "" => "*".to_string(),
        p @ ("a" | "o" | "h") => p.to_string(),
        other => {
            return Err(format!(
                "CPE part must be a, o or h, got `{other}` in `{uri}`"
            ));
        }
    };
    let comp = |i: usize| parts.get(i).copied().unwrap_or("");
    let value = |i: usize| decode(comp(i)).map_err(|e| format!("{e} in `{uri}`"));
    let edition_field = comp(5);
    let (edition, sw_edition, target_sw, target_hw, other) =
        if let Some(packed) = edition_field.strip_prefix('~') {
            let e: Vec<&str> = packed.split('~').collect();
            if e.len() != 5 {
                return Err(format!(
                    "packed edition `{edition_field}` of `{uri}` must have 5 fields"
                ));
            }
            let d = |s: &str| decode(s).map_err(|err| format!("{err} in `{uri}`"));
            (d(e[0])?, d(e[1])?, d(e[2])?, d(e[3])?, d(e[4])?)
        } else {
            let ed = value(5)?;
            (ed, "*".into(), "*".into(), "*".into(), "*".into())
        };
    let cpe = Cpe {
        part,
        vendor: value(1)?,
        product: value(2)?,
        version: value(3)?,
        update: value(4)?,
        edition,
        language: value(6)?,
        sw_edition,
        target_sw,
        target_hw,
        other,
    };
    Ok(cpe.to_formatted_string())
}

/// One URI component to its formatted-string form: empty is ANY (`*`), `-`
/// is NA, `%01`/`%02` are the `?`/`*` wildcards, other percent-encoded and
/// punctuation characters are backslash-quoted (but `-`, `.` and `_`, which
/// the formatted string leaves bare).
fn decode(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Ok("*".into());
    }
    if s == "-" {
        return Ok("-".into());
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let c = if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in `{s}`"))?;
            i += 3;
            match hex {
                0x01 => {
                    out.push('?');
                    continue;
                }
                0x02 => {
                    out.push('*');
                    continue;
                }
                h if h.is_ascii_graphic() => h as char,
                h => {
                    return Err(format!(
                        "percent-encoded byte {h:#04x} in `{s}` is not printable ASCII"
                    ));
                }
            }
        } else {
            i += 1;
            if !b.is_ascii_graphic() {
                return Err(format!("`{s}` has a character that is not printable ASCII"));
            }
            b as char
        };
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
            out.push(c.to_ascii_lowercase());
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe23_is_kept() {
        let n = "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*";
        assert_eq!(read(n), Ok(CpeName::Cpe23(n.into())));
        assert!(read("cpe:2.3:a:openssl").is_err());
    }

    #[test]
    fn cpe22_is_converted() {
        assert_eq!(
            read("cpe:/a:openssl:openssl:1.0.2k").unwrap(),
            CpeName::Converted("cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*".into())
        );
        assert_eq!(
            read("cpe:/o:Microsoft:Windows_XP::sp2:pro")
                .unwrap()
                .into_string(),
            "cpe:2.3:o:microsoft:windows_xp:*:sp2:pro:*:*:*:*:*"
        );
        assert_eq!(
            read("cpe:/a:foo%21bar:baz:-:%02").unwrap().into_string(),
            "cpe:2.3:a:foo\\!bar:baz:-:*:*:*:*:*:*:*"
        );
        assert_eq!(
            read("cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~")
                .unwrap()
                .into_string(),
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:*:*:*:online:win2003:x64:*"
        );
        assert!(read("cpe:/x:foo").is_err());
        assert!(read("cpe:/a:foo%zz").is_err());
        assert!(read("pkg:npm/foo@1").is_err());
    }
}

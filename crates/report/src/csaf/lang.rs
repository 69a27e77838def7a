//! Language tags (BCP 47): 6.1.12 (valid and existing), 6.2.14 (private
//! use), 6.2.15 (`i-default`).
//!
//! Existence is checked for two-letter languages (ISO 639-1) and
//! two-letter regions (ISO 3166-1 and the registry's exceptional
//! reservations); three-letter languages, scripts, numeric regions and
//! variants are checked for form only, as this validator does not ship the
//! whole IANA subtag registry.

use serde_json::Value;

use super::doc;
use super::{Finding, Group, finding};

const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik in io is it iu iw ja ji jv jw ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu";

/// ISO 3166-1 alpha-2 codes, deprecated ones the registry keeps, and its
/// exceptional reservations (EU, EZ, UN, …); private-use codes (AA, QM–QZ,
/// XA–XZ, ZZ) are valid too and caught by 6.2.14.
const REGIONS: &str = "AC AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BU BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CP CR CS CU CV CW CX CY CZ DD DE DG DJ DK DM DO DZ EA EC EE EG EH ER ES ET EU EZ FI FJ FK FM FO FR FX GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU IC ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NT NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SU SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM TN TO TP TR TT TV TW TZ UA UG UM UN US UY UZ VA VC VE VG VI VN VU WF WS YD YE YT YU ZA ZM ZR ZW";

/// The regular (non-grandfathered) tags the registry lists whole, and the
/// irregular grandfathered ones.
const GRANDFATHERED: &[&str] = &[
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
    "art-lojban",
    "cel-gaulish",
    "no-bok",
    "no-nyn",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

/// A parsed language tag: the parts the tests look at.
#[derive(Debug, Default)]
struct Tag {
    language: String,
    script: Option<String>,
    region: Option<String>,
    private: bool,
}

fn alpha(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Parses a tag's well-formed shape; `Err` says what is wrong.
fn parse(tag: &str) -> Result<Option<Tag>, String> {
    let lower = tag.to_ascii_lowercase();
    if GRANDFATHERED.contains(&lower.as_str()) {
        return Ok(None);
    }
    let parts: Vec<&str> = tag.split('-').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.len() > 8 || !alnum(p))
    {
        return Err("subtags are 1 to 8 letters or digits separated by hyphens".into());
    }
    let mut t = Tag::default();
    let mut i = 0;
    if parts[0].eq_ignore_ascii_case("x") {
        t.private = true;
        return if parts.len() > 1 {
            Ok(Some(t))
        } else {
            Err("`x` needs a private-use subtag".into())
        };
    }
    let lang = parts[0];
    if !alpha(lang) || !(2..=8).contains(&lang.len()) || lang.len() == 4 {
        return Err(format!("`{lang}` is not a language subtag"));
    }
    t.language = lang.to_ascii_lowercase();
    i += 1;
    // Up to three extended language subtags after a 2–3 letter language.
    let mut ext = 0;
    while i < parts.len() && lang.len() <= 3 && parts[i].len() == 3 && alpha(parts[i]) && ext < 3 {
        i += 1;
        ext += 1;
    }
    if i < parts.len() && parts[i].len() == 4 && alpha(parts[i]) {
        t.script = Some(parts[i].to_string());
        i += 1;
    }
    if i < parts.len()
        && ((parts[i].len() == 2 && alpha(parts[i]))
            || (parts[i].len() == 3 && parts[i].bytes().all(|b| b.is_ascii_digit())))
    {
        t.region = Some(parts[i].to_ascii_uppercase());
        i += 1;
    }
    while i < parts.len() {
        let p = parts[i];
        if p.eq_ignore_ascii_case("x") {
            t.private = true;
            if i + 1 >= parts.len() {
                return Err("`x` needs a private-use subtag".into());
            }
            return Ok(Some(t));
        }
        if p.len() == 1 {
            // An extension: a singleton and at least one 2–8 character subtag.
            let mut n = 0;
            i += 1;
            while i < parts.len() && parts[i].len() >= 2 {
                i += 1;
                n += 1;
            }
            if n == 0 {
                return Err(format!("extension `{p}` has no subtags"));
            }
            continue;
        }
        let variant = p.len() >= 5 || (p.len() == 4 && p.as_bytes()[0].is_ascii_digit());
        if !variant {
            return Err(format!("`{p}` is not in a valid place"));
        }
        i += 1;
    }
    Ok(Some(t))
}

fn check_exists(tag: &Tag) -> Result<(), String> {
    if tag.language.len() == 2 && !ISO_639_1.split(' ').any(|c| c == tag.language) {
        return Err(format!("`{}` is not a language (ISO 639-1)", tag.language));
    }
    if let Some(r) = &tag.region
        && r.len() == 2
        && !REGIONS.split(' ').any(|c| c == r)
        && !private_region(r)
    {
        return Err(format!("`{r}` is not a region (ISO 3166-1)"));
    }
    Ok(())
}

fn private_region(r: &str) -> bool {
    let b = r.as_bytes();
    r == "AA" || r == "ZZ" || (b[0] == b'Q' && b[1] >= b'M') || b[0] == b'X'
}

fn private_use(tag: &Tag) -> Option<String> {
    if tag.private {
        return Some("a private-use (x-) part".into());
    }
    let l = tag.language.as_bytes();
    if tag.language.len() == 3 && l[0] == b'q' && l[1] <= b't' {
        return Some(format!("the private-use language `{}`", tag.language));
    }
    if let Some(s) = &tag.script {
        let s = s.to_ascii_lowercase();
        if s.as_str() >= "qaaa" && s.as_str() <= "qabx" {
            return Some(format!("the private-use script `{s}`"));
        }
    }
    if let Some(r) = &tag.region
        && r.len() == 2
        && private_region(r)
    {
        return Some(format!("the private-use region `{r}`"));
    }
    None
}

const FIELDS: [&str; 2] = ["/document/lang", "/document/source_lang"];

pub fn mandatory(doc: &Value, out: &mut Vec<Finding>) {
    for path in FIELDS {
        let Some(v) = doc::at(doc, path) else {
            continue;
        };
        let problem = match parse(v) {
            Err(e) => Some(e),
            Ok(Some(t)) => check_exists(&t).err(),
            Ok(None) => None,
        };
        if let Some(p) = problem {
            out.push(finding(
                "6.1.12",
                Group::Mandatory,
                path,
                format!("`{v}` is not a valid language: {p}"),
            ));
        }
    }
}

pub fn optional(doc: &Value, out: &mut Vec<Finding>) {
    for path in FIELDS {
        let Some(v) = doc::at(doc, path) else {
            continue;
        };
        if v.eq_ignore_ascii_case("i-default") {
            out.push(finding(
                "6.2.15",
                Group::Optional,
                path,
                "`i-default` says no language; name the real one",
            ));
        }
        if let Ok(Some(t)) = parse(v)
            && let Some(what) = private_use(&t)
        {
            out.push(finding(
                "6.2.14",
                Group::Optional,
                path,
                format!("`{v}` uses {what}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_exist_and_private_use_is_found() {
        for ok in [
            "en",
            "en-US",
            "de-DE",
            "zh-Hant-TW",
            "i-default",
            "sr-Latn-RS",
            "es-419",
            "de-CH-1996",
        ] {
            let t = parse(ok).unwrap();
            assert!(t.as_ref().is_none_or(|t| check_exists(t).is_ok()), "{ok}");
        }
        assert!(check_exists(&parse("EZ").unwrap().unwrap()).is_err());
        assert!(parse("en--US").is_err());
        for private in [
            "qtx",
            "en-QM",
            "en-XP",
            "en-Qabc",
            "en-AA",
            "fr-ZZ",
            "en-x-kensa",
        ] {
            assert!(
                private_use(&parse(private).unwrap().unwrap()).is_some(),
                "{private}"
            );
        }
        assert!(private_use(&parse("en-US").unwrap().unwrap()).is_none());
    }
}

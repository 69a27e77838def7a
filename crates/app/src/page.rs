//! Lists a page at a time: `{"items": […], "next_cursor": …}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::AppError;

/// The most items a page holds.
pub const MAX_LIMIT: usize = 1000;
/// Items per page when the caller does not say.
pub const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from a query that fetched `limit + 1` items: the extra one
    /// only tells that there is a next page, whose cursor is the last kept
    /// item's position.
    pub fn from_one_extra(
        mut items: Vec<T>,
        limit: usize,
        cursor: impl Fn(&T) -> String,
    ) -> Page<T> {
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more { items.last().map(cursor) } else { None };
        Page { items, next_cursor }
    }
}

/// The page size to use: the caller's within 1..=[`MAX_LIMIT`].
pub fn limit(requested: Option<usize>) -> Result<usize, AppError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(AppError::invalid(
            "limit",
            format!("{n} is out of range; give 1 to {MAX_LIMIT}"),
        )),
    }
}

/// An opaque cursor for the position `parts` describes.
pub fn encode_cursor(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("\u{1f}"))
}

/// The parts of a cursor made by [`encode_cursor`]; `n` of them expected.
pub fn decode_cursor(cursor: &str, n: usize) -> Result<Vec<String>, AppError> {
    let bad = || AppError::invalid("cursor", "not a cursor this list returned");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<String> = text.split('\u{1f}').map(str::to_string).collect();
    if parts.len() != n {
        return Err(bad());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode_cursor(&["80", "CVE-2014-0160", "gw", "12"]);
        assert_eq!(decode_cursor(&c, 4).unwrap()[1], "CVE-2014-0160");
        assert!(decode_cursor(&c, 3).is_err());
        assert!(decode_cursor("!!", 4).is_err());
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(1001)).is_err());
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
    }

    #[test]
    fn the_extra_item_only_says_there_is_more() {
        let page = Page::from_one_extra(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(
            (page.items, page.next_cursor.as_deref()),
            (vec![1, 2], Some("2"))
        );
        let last = Page::from_one_extra(vec![1, 2], 2, |n| n.to_string());
        assert_eq!((last.items, last.next_cursor), (vec![1, 2], None));
    }
}

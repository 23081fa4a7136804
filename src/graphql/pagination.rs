//! Relay connections with offset cursors and a `totalCount`.
use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{OutputType, SimpleObject};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::AppError;

/// Largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;

/// The deepest position a cursor may name: far past any list, and small enough that no offset
/// arithmetic or database bind can overflow.
pub const MAX_OFFSET: u64 = 1_000_000_000;

/// An opaque cursor: the position of an item in its list.
pub struct OffsetCursor(pub usize);

impl CursorType for OffsetCursor {
    type Error = AppError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bad = || AppError::bad_input("malformed cursor");
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let n: u64 = text
            .strip_prefix("offset:")
            .ok_or_else(bad)?
            .parse()
            .map_err(|_| bad())?;
        if n > MAX_OFFSET {
            return Err(AppError::bad_input("cursor out of range"));
        }
        Ok(OffsetCursor(n as usize))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("offset:{}", self.0))
    }
}

/// Extra fields on every connection.
#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// How many items match, over all pages.
    pub total_count: u64,
}

/// A page of `T`.
pub type Page<T> = Connection<OffsetCursor, T, ConnectionTotals>;

/// Page size when a client does not say.
pub const DEFAULT_PAGE: i32 = 20;

/// Turns `first` (default 20) and `after` into (offset, limit), checking both.
pub fn page_args(first: Option<i32>, after: Option<&str>) -> Result<(u64, u64), AppError> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(AppError::bad_input(format!(
            "first must be between 1 and {MAX_PAGE}"
        )));
    }
    let offset = match after {
        Some(c) => OffsetCursor::decode_cursor(c)?.0 as u64 + 1,
        None => 0,
    };
    Ok((offset, first as u64))
}

/// Builds a connection from one page of nodes starting at `offset`.
pub fn page<T: OutputType>(nodes: Vec<T>, offset: u64, total: u64) -> Page<T> {
    let end = offset + nodes.len() as u64;
    page_with(nodes, offset, end < total, total)
}

/// Builds a connection when whether a next page exists is known apart from the total (which
/// is then only computed when `totalCount` is selected; pass 0 when it is not).
pub fn page_with<T: OutputType>(nodes: Vec<T>, offset: u64, has_next: bool, total: u64) -> Page<T> {
    let mut c = Connection::with_additional_fields(
        offset > 0,
        has_next,
        ConnectionTotals { total_count: total },
    );
    c.edges.extend(
        nodes
            .into_iter()
            .enumerate()
            .map(|(i, n)| Edge::new(OffsetCursor(offset as usize + i), n)),
    );
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_cursor_the_next_page_starts_one_later() {
        let c = OffsetCursor(9).encode_cursor();
        assert_eq!(page_args(Some(10), Some(&c)).unwrap(), (10, 10));
    }

    #[test]
    fn page_sizes_outside_one_to_a_hundred_are_refused() {
        assert!(page_args(Some(0), None).is_err());
        assert!(page_args(Some(1000), None).is_err());
        assert!(page_args(None, Some("garbage")).is_err());
    }
}

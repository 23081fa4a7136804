//! Relay connections with offset cursors and a `totalCount`.
use std::borrow::Cow;

use async_graphql::connection::{CursorType, Edge, EmptyFields, PageInfo};
use async_graphql::{Object, OutputType, TypeName};
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

/// A page of `T`, served as the Relay connection `<T>Connection`.
pub struct Page<T: OutputType> {
    edges: Vec<Edge<OffsetCursor, T, EmptyFields>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: u64,
}

/// One page of a list, as a Relay connection: the items with their cursors (`edges`) or
/// alone (`nodes`), where the page stands (`pageInfo`) and how long the whole list is
/// (`totalCount`). Page forward with `first`/`after`, backward with `last`/`before`.
#[Object(name_type)]
impl<T: OutputType> Page<T> {
    /// Whether items come before and after this page, and the cursors of its first and last
    /// items to reach them.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|e| e.cursor.encode_cursor()),
            end_cursor: self.edges.last().map(|e| e.cursor.encode_cursor()),
        }
    }

    /// The page's items in order, each with its cursor.
    async fn edges(&self) -> &[Edge<OffsetCursor, T, EmptyFields>] {
        &self.edges
    }

    /// The page's items in order, without cursors.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// How many items match, over all pages.
    async fn total_count(&self) -> u64 {
        self.total_count
    }
}

impl<T: OutputType> TypeName for Page<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// Page size when a client does not say.
pub const DEFAULT_PAGE: i32 = 20;

/// Which part of a list a client asks for: Relay's `first`/`after` (forward) or
/// `last`/`before` (backward), never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `limit` items from position `offset`.
    At { offset: u64, limit: u64 },
    /// The last `last` items of the list: the offset needs the list's length.
    End { last: u64 },
}

impl Window {
    /// Reads and checks the four Relay arguments. `first` defaults to 20 when neither
    /// `first` nor `last` is given; `last` with `before` ends the page just before that
    /// cursor, and `last` alone gives the end of the list.
    pub fn new(
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
    ) -> Result<Window, AppError> {
        let count = |name: &str, n: i32| {
            if (1..=MAX_PAGE).contains(&n) {
                Ok(n as u64)
            } else {
                Err(AppError::bad_input(format!(
                    "{name} must be between 1 and {MAX_PAGE}"
                )))
            }
        };
        let position = |c: &str| OffsetCursor::decode_cursor(c).map(|c| c.0 as u64);
        if last.is_none() && before.is_none() {
            let first = count("first", first.unwrap_or(DEFAULT_PAGE))?;
            let offset = match after {
                Some(c) => position(c)? + 1,
                None => 0,
            };
            return Ok(Window::At {
                offset,
                limit: first,
            });
        }
        if first.is_some() || after.is_some() {
            return Err(AppError::bad_input(
                "page forward (first, after) or backward (last, before), not both",
            ));
        }
        let last = count("last", last.unwrap_or(DEFAULT_PAGE))?;
        Ok(match before {
            Some(c) => {
                let end = position(c)?;
                let offset = end.saturating_sub(last);
                Window::At {
                    offset,
                    limit: end - offset,
                }
            }
            None => Window::End { last },
        })
    }

    /// The (offset, limit) pair, counting the list only when the window is its end.
    pub async fn resolve<F, E>(self, count: impl FnOnce() -> F) -> Result<(u64, u64), E>
    where
        F: std::future::Future<Output = Result<u64, E>>,
    {
        Ok(match self {
            Window::At { offset, limit } => (offset, limit),
            Window::End { last } => {
                let total = count().await?;
                (total.saturating_sub(last), last.min(total))
            }
        })
    }

    /// The (offset, limit) pair of a list whose length is known.
    pub fn within(self, total: u64) -> (u64, u64) {
        match self {
            Window::At { offset, limit } => (offset, limit),
            Window::End { last } => (total.saturating_sub(last), last.min(total)),
        }
    }
}

/// Turns `first` (default 20) and `after` into (offset, limit), checking both.
pub fn page_args(first: Option<i32>, after: Option<&str>) -> Result<(u64, u64), AppError> {
    match Window::new(first, after, None, None)? {
        Window::At { offset, limit } => Ok((offset, limit)),
        Window::End { .. } => unreachable!("a forward window always has an offset"),
    }
}

/// Builds a connection from one page of nodes starting at `offset`.
pub fn page<T: OutputType>(nodes: Vec<T>, offset: u64, total: u64) -> Page<T> {
    let end = offset + nodes.len() as u64;
    page_with(nodes, offset, end < total, total)
}

/// Builds a connection when whether a next page exists is known apart from the total (which
/// is then only computed when `totalCount` is selected; pass 0 when it is not).
pub fn page_with<T: OutputType>(nodes: Vec<T>, offset: u64, has_next: bool, total: u64) -> Page<T> {
    Page {
        edges: nodes
            .into_iter()
            .enumerate()
            .map(|(i, n)| Edge::new(OffsetCursor(offset as usize + i), n))
            .collect(),
        has_previous_page: offset > 0,
        has_next_page: has_next,
        total_count: total,
    }
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
    fn before_a_cursor_the_page_ends_just_before_it() {
        let c = OffsetCursor(25).encode_cursor();
        assert_eq!(
            Window::new(None, None, Some(10), Some(&c)).unwrap(),
            Window::At {
                offset: 15,
                limit: 10
            }
        );
        // Near the start the page is shorter rather than negative.
        let c = OffsetCursor(3).encode_cursor();
        assert_eq!(
            Window::new(None, None, Some(10), Some(&c)).unwrap(),
            Window::At {
                offset: 0,
                limit: 3
            }
        );
    }

    #[test]
    fn last_alone_is_the_end_of_the_list() {
        let w = Window::new(None, None, Some(10), None).unwrap();
        assert_eq!(w.within(95), (85, 10));
        assert_eq!(w.within(4), (0, 4));
    }

    #[test]
    fn forward_and_backward_arguments_do_not_mix() {
        let c = OffsetCursor(5).encode_cursor();
        assert!(Window::new(Some(5), None, Some(5), None).is_err());
        assert!(Window::new(None, Some(&c), None, Some(&c)).is_err());
        assert!(Window::new(None, None, Some(0), None).is_err());
        assert!(Window::new(None, None, Some(101), None).is_err());
    }

    #[test]
    fn page_sizes_outside_one_to_a_hundred_are_refused() {
        assert!(page_args(Some(0), None).is_err());
        assert!(page_args(Some(1000), None).is_err());
        assert!(page_args(None, Some("garbage")).is_err());
    }
}

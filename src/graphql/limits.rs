//! The shape of a request, measured before the GraphQL engine validates it.
//!
//! The engine's own checks (depth, complexity, overlapping fields) expand every fragment
//! spread where it stands, so a document whose fragments each spread the previous one twice
//! costs them time exponential in its size before any limit is reached. Here each fragment is
//! measured once and its size reused wherever it is spread, so the expanded size of any
//! document is known in time linear in its text, and an oversized one is refused before the
//! engine sees it.
use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Fields that may appear at most once at the top of a request: each `login` verifies a
/// password, so several in one request would multiply the guesses a throttle allows.
const ONCE_PER_REQUEST: &[&str] = &["login"];

/// How deeply fragments may spread one another (a chain deeper than this is refused rather
/// than followed).
const MAX_FRAGMENT_NESTING: usize = 64;

/// What asking a model costs, on top of the items it returns: a ranking walks the catalogue.
pub const MODEL_CALL: usize = 50;

/// The complexity of a list field: `base` plus its page size (`first`, else `default`, at
/// most 100) times the cost of one item. Used in `#[graphql(complexity = …)]`.
pub fn list(base: usize, first: Option<i32>, default: i32, item: usize) -> usize {
    let n = first.unwrap_or(default).clamp(1, 100) as usize;
    base.saturating_add(n.saturating_mul(item))
}

/// A request's size once every fragment is expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Fields selected, at every level.
    pub fields: u64,
    /// Fields selected under an alias, at every level.
    pub aliases: u64,
    /// Top-level fields that may appear once per request (`login`).
    pub once_per_request: u64,
}

impl Shape {
    fn add(&mut self, other: Shape) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.once_per_request = self.once_per_request.saturating_add(other.once_per_request);
    }
}

/// Why a document cannot be measured.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShapeError {
    #[error("fragment {0} spreads itself")]
    Cycle(String),
    #[error("fragments spread one another more than {MAX_FRAGMENT_NESTING} levels deep")]
    TooDeep,
}

struct Measure<'a> {
    doc: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Option<Shape>>,
    nesting: usize,
}

impl<'a> Measure<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Shape, ShapeError> {
        let mut shape = Shape::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let inner = self.selection_set(&f.selection_set.node)?;
                    shape.add(Shape {
                        fields: 1u64.saturating_add(inner.fields),
                        aliases: u64::from(f.alias.is_some()).saturating_add(inner.aliases),
                        once_per_request: u64::from(
                            ONCE_PER_REQUEST.contains(&f.name.node.as_str()),
                        ),
                    });
                }
                Selection::InlineFragment(i) => {
                    shape.add(self.selection_set(&i.node.selection_set.node)?)
                }
                Selection::FragmentSpread(s) => {
                    shape.add(self.fragment(s.node.fragment_name.node.as_str())?)
                }
            }
        }
        Ok(shape)
    }

    /// A fragment's shape, measured once. An unknown fragment measures as empty: the engine
    /// reports it.
    fn fragment(&mut self, name: &'a str) -> Result<Shape, ShapeError> {
        match self.fragments.get(name) {
            Some(Some(shape)) => return Ok(*shape),
            Some(None) => return Err(ShapeError::Cycle(name.to_owned())),
            None => {}
        }
        let Some(def) = self.doc.fragments.get(name) else {
            return Ok(Shape::default());
        };
        if self.nesting >= MAX_FRAGMENT_NESTING {
            return Err(ShapeError::TooDeep);
        }
        self.fragments.insert(name, None);
        self.nesting += 1;
        let shape = self.selection_set(&def.node.selection_set.node);
        self.nesting -= 1;
        let shape = shape?;
        self.fragments.insert(name, Some(shape));
        Ok(shape)
    }
}

/// The expanded shape of the operation a request runs: the named one, else every operation
/// in the document (the engine refuses a document with several when none is named).
pub fn measure(doc: &ExecutableDocument, operation: Option<&str>) -> Result<Shape, ShapeError> {
    let mut m = Measure {
        doc,
        fragments: HashMap::new(),
        nesting: 0,
    };
    let mut shape = Shape::default();
    for (name, op) in doc.operations.iter() {
        if operation.is_some() && name.map(|n| n.as_str()) != operation {
            continue;
        }
        shape.add(m.selection_set(&op.node.selection_set.node)?);
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn shape(q: &str) -> Result<Shape, ShapeError> {
        measure(&parse_query(q).unwrap(), None)
    }

    /// `query { ...F<n> }` where each fragment spreads the previous one twice.
    fn fragment_bomb(levels: usize) -> String {
        let mut q = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
        for i in 1..=levels {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
                p = i - 1
            ));
        }
        q
    }

    #[test]
    fn counts_fields_and_aliases_at_every_level() {
        let s =
            shape("{ a: movies(first: 2) { edges { node { id t: title } } } me { id } }").unwrap();
        assert_eq!(s.fields, 7);
        assert_eq!(s.aliases, 2);
        assert_eq!(s.once_per_request, 0);
    }

    #[test]
    fn a_fragment_bomb_is_measured_at_its_expanded_size_without_expanding_it() {
        let started = std::time::Instant::now();
        let s = shape(&fragment_bomb(60)).unwrap();
        assert_eq!(s.fields, 1u64 << 60);
        // Exponential work would never finish; linear work is instant.
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn fragments_count_wherever_they_are_spread_and_inline_fragments_count_too() {
        let s = shape(
            "query { ...A ... on Query { b: __typename } } fragment A on Query { movies { edges { node { ...B } } } } fragment B on Movie { id title }",
        )
        .unwrap();
        assert_eq!(s.fields, 6);
        assert_eq!(s.aliases, 1);
    }

    #[test]
    fn logins_are_counted_at_the_top_even_through_fragments() {
        let s = shape(
            "mutation { a: login(email: \"x\", password: \"y\") { token } ...L } fragment L on Mutation { b: login(email: \"x\", password: \"z\") { token } }",
        )
        .unwrap();
        assert_eq!(s.once_per_request, 2);
    }

    #[test]
    fn a_named_operation_is_measured_alone() {
        let doc =
            parse_query("query A { __typename } query B { a: __typename b: __typename }").unwrap();
        assert_eq!(measure(&doc, Some("A")).unwrap().fields, 1);
        assert_eq!(measure(&doc, Some("B")).unwrap().aliases, 2);
        assert_eq!(measure(&doc, None).unwrap().fields, 3);
    }

    #[test]
    fn cycles_and_deep_chains_are_refused_rather_than_followed() {
        assert_eq!(
            shape("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
            Err(ShapeError::Cycle("A".into()))
        );
        let mut q = "{ ...F0 }".to_string();
        for i in 0..200 {
            q.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
        }
        q.push_str(" fragment F200 on Query { __typename }");
        assert_eq!(shape(&q), Err(ShapeError::TooDeep));
    }
}

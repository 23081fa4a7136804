//! The one rule that decides whether a movie may be shown to someone on a surface. Every list
//! asks it — personal recommendations and their `totalCount`, home-feed rows, collections,
//! similar, popular and trending, and staff previews — so they can never disagree.
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::curation::{CurationSnapshot, Rule, Surface};
use crate::catalogue::{CatalogueEntry, CatalogueIndex};

/// Admission to one surface at one instant, for one viewer: gathered once per list.
pub struct Admission<'a> {
    catalogue: &'a CatalogueIndex,
    blocks: Vec<&'a Rule>,
    seen: Option<&'a HashSet<i32>>,
    surface: Surface,
    now: DateTime<Utc>,
}

impl<'a> Admission<'a> {
    /// Admission for anyone: the movie is in the catalogue (not deleted), available, and no
    /// block rule in force on `surface` at `now` matches it.
    pub fn new(
        surface: &Surface,
        now: DateTime<Utc>,
        curation: &'a CurationSnapshot,
        catalogue: &'a CatalogueIndex,
    ) -> Self {
        Self {
            catalogue,
            blocks: curation.live_blocks(surface, now),
            seen: None,
            surface: surface.clone(),
            now,
        }
    }

    /// The surface it is for.
    pub fn surface(&self) -> &Surface {
        &self.surface
    }

    /// The instant it is for.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The same for one viewer: also never a movie they rated, finished, thumbed down or
    /// dismissed.
    pub fn for_viewer(mut self, seen: &'a HashSet<i32>) -> Self {
        self.seen = Some(seen);
        self
    }

    /// The movie's entry if it may be shown: admitted, not in `exclude` (the client's
    /// exclusions, or what the list already holds), and passing the client's filter `keep`.
    pub fn admit(
        &self,
        movie_id: i32,
        exclude: &HashSet<i32>,
        keep: &dyn Fn(&CatalogueEntry) -> bool,
    ) -> Option<&'a CatalogueEntry> {
        if exclude.contains(&movie_id) || self.seen.is_some_and(|s| s.contains(&movie_id)) {
            return None;
        }
        let e = self.catalogue.get(movie_id)?;
        if !e.available || self.blocks.iter().any(|r| r.matches(e)) || !keep(e) {
            return None;
        }
        Some(e)
    }

    /// Whether the movie may be shown, with no exclusions or filter beyond the rule itself.
    pub fn admits(&self, movie_id: i32) -> bool {
        self.admit(movie_id, &HashSet::new(), &|_| true).is_some()
    }

    /// How many movies of the catalogue may be shown under `exclude` and `keep`: the size of
    /// the list a client could page through.
    pub fn count(&self, exclude: &HashSet<i32>, keep: &dyn Fn(&CatalogueEntry) -> bool) -> usize {
        self.catalogue
            .entries
            .keys()
            .filter(|m| self.admit(**m, exclude, keep).is_some())
            .count()
    }
}

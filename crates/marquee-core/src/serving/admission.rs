//! The one rule that decides whether a movie may be shown to someone on a surface. Every list
//! asks it — personal recommendations and their `totalCount`, home-feed rows, collections,
//! similar, popular and trending, and staff previews — so they can never disagree.
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::curation::{CurationSnapshot, Rule, Surface};
use crate::catalogue::{CatalogueEntry, CatalogueIndex};

/// Why [`Admission::check`] refuses a movie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// In the caller's exclusions (the client's own, or what the list or feed already holds).
    Excluded,
    /// The viewer rated, finished, thumbed down or dismissed it.
    Seen,
    /// Not in the catalogue (deleted).
    Missing,
    /// Marked unavailable.
    Unavailable,
    /// A block rule in force matches it (the rule's id; the lowest-numbered when several do).
    Blocked(i32),
    /// The client's filter leaves it out.
    Filtered,
}

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
        self.check(movie_id, exclude, keep).ok()
    }

    /// [`Self::admit`], saying why a movie is refused (the first reason in the order of
    /// [`Refusal`]'s variants).
    pub fn check(
        &self,
        movie_id: i32,
        exclude: &HashSet<i32>,
        keep: &dyn Fn(&CatalogueEntry) -> bool,
    ) -> Result<&'a CatalogueEntry, Refusal> {
        if exclude.contains(&movie_id) {
            return Err(Refusal::Excluded);
        }
        if self.seen.is_some_and(|s| s.contains(&movie_id)) {
            return Err(Refusal::Seen);
        }
        let e = self.catalogue.get(movie_id).ok_or(Refusal::Missing)?;
        if !e.available {
            return Err(Refusal::Unavailable);
        }
        if let Some(r) = self.blocks.iter().find(|r| r.matches(e)) {
            return Err(Refusal::Blocked(r.id));
        }
        if !keep(e) {
            return Err(Refusal::Filtered);
        }
        Ok(e)
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

//! The catalogue as serving and training see it: every movie that is not deleted, with the
//! facts filters, rules, diversity and the content model read.
use std::collections::HashMap;

/// What serving needs to know of each movie that is not deleted.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub movie_id: i32,
    pub title: String,
    pub year: Option<i32>,
    pub available: bool,
    pub genres: Vec<String>,
    pub directors: Vec<String>,
    pub cast: Vec<String>,
    pub keywords: Vec<String>,
    /// Genre ids, aligned with `genres`.
    pub genre_ids: Vec<i32>,
    /// Directors' and cast's person ids.
    pub person_ids: Vec<i32>,
    /// Number of ratings (for novelty).
    pub popularity: f64,
}

impl CatalogueEntry {
    /// The content model's tokens of this movie: genres, directors, cast and keywords.
    pub fn tokens(&self) -> Vec<String> {
        let mut t = Vec::with_capacity(
            self.genres.len() + self.directors.len() + self.cast.len() + self.keywords.len(),
        );
        t.extend(
            self.genres
                .iter()
                .map(|g| format!("genre:{}", g.to_lowercase())),
        );
        t.extend(
            self.directors
                .iter()
                .map(|p| format!("director:{}", p.to_lowercase())),
        );
        t.extend(
            self.cast
                .iter()
                .map(|p| format!("cast:{}", p.to_lowercase())),
        );
        t.extend(self.keywords.iter().map(|k| format!("tag:{k}")));
        t
    }
}

/// The catalogue by movie id.
#[derive(Debug, Clone, Default)]
pub struct CatalogueIndex {
    pub entries: HashMap<i32, CatalogueEntry>,
}

impl CatalogueIndex {
    /// An index of these entries.
    pub fn new(entries: impl IntoIterator<Item = CatalogueEntry>) -> Self {
        Self {
            entries: entries.into_iter().map(|e| (e.movie_id, e)).collect(),
        }
    }

    /// The entry of a movie, if it is not deleted.
    pub fn get(&self, movie_id: i32) -> Option<&CatalogueEntry> {
        self.entries.get(&movie_id)
    }
}

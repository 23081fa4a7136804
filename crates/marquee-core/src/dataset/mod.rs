//! Pure MovieLens file parsers (no database).
//!
//! Supports the three on-disk layouts GroupLens ships:
//!
//! * **ml-100k** — `u.data` (tab separated), `u.item`, `u.user`, `u.genre` (pipe separated, latin-1);
//! * **ml-1m** — `ratings.dat`, `movies.dat`, `users.dat` (`::` separated, latin-1);
//! * **ml-latest / ml-latest-small / ml-20m / ml-25m** — `ratings.csv`, `movies.csv`, `tags.csv`,
//!   `links.csv` (quoted CSV with a header row, UTF-8, CRLF or LF).
//!
//! [`load`] reads everything; [`load_ratings`] is the fast path when only ratings are needed.
//! Every malformed line is reported with its file and 1-based line number.

mod parse;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use parse::split_title_year;

/// On-disk layout of a MovieLens folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// MovieLens 100K (`u.data`, `u.item`, `u.user`, `u.genre`).
    Ml100k,
    /// MovieLens 1M (`ratings.dat`, `movies.dat`, `users.dat`).
    Ml1m,
    /// The CSV family: ml-latest(-small), ml-20m, ml-25m (`ratings.csv`, `movies.csv`, …).
    MlCsv,
}

impl Format {
    /// The layout's name as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Format::Ml100k => "MovieLens 100K",
            Format::Ml1m => "MovieLens 1M",
            Format::MlCsv => "MovieLens CSV",
        }
    }
}

/// Errors raised while reading a MovieLens folder.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The folder holds none of `u.data`, `ratings.dat` or `ratings.csv`.
    #[error("{dir}: not a MovieLens folder (expected u.data, ratings.dat or ratings.csv)")]
    UnknownFormat {
        /// The folder that was inspected.
        dir: PathBuf,
    },
    /// A file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file being read.
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line could not be parsed.
    #[error("{file}:{line}: {reason}")]
    Malformed {
        /// The file being read.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What was wrong with it.
        reason: String,
    },
    /// A caller's callback ([`for_each_rating`]) asked to stop; it holds the reason.
    #[error("stopped by the caller")]
    Stopped,
}

/// A movie as described by the dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movie {
    /// MovieLens movie id.
    pub id: i64,
    /// Title with the trailing `(year)` removed, otherwise as given.
    pub title: String,
    /// Release year parsed from the title (or, for ml-100k, from the release date).
    pub year: Option<i32>,
    /// Genre names; empty when the dataset lists none.
    pub genres: Vec<String>,
    /// IMDb id in `tt0114709` form, when `links.csv` provides it.
    pub imdb_id: Option<String>,
    /// TMDB id, when `links.csv` provides it.
    pub tmdb_id: Option<i64>,
}

/// A user with optional demographics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// MovieLens user id.
    pub id: i64,
    /// Age in years (ml-100k) or the lower bound of the age band (ml-1m: 1, 18, 25, 35, 45, 50, 56).
    pub age: Option<i32>,
    /// `"M"` or `"F"` as given.
    pub gender: Option<String>,
    /// Occupation name (ml-1m codes are mapped to their README names).
    pub occupation: Option<String>,
    /// Zip / postal code as given.
    pub zip: Option<String>,
}

impl User {
    /// A user known by id only (a rater of a layout without a users file).
    pub fn anonymous(id: i64) -> Self {
        User {
            id,
            age: None,
            gender: None,
            occupation: None,
            zip: None,
        }
    }
}

/// One explicit rating.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// MovieLens user id.
    pub user: i64,
    /// MovieLens movie id.
    pub movie: i64,
    /// Rating value (1–5 integers, or 0.5–5 in halves).
    pub score: f32,
    /// Unix seconds.
    pub timestamp: i64,
}

/// One free-text tag applied by a user to a movie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// MovieLens user id.
    pub user: i64,
    /// MovieLens movie id.
    pub movie: i64,
    /// The tag text as given.
    pub tag: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// External identifiers of a movie (`links.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// MovieLens movie id.
    pub movie: i64,
    /// IMDb id in `tt0114709` form.
    pub imdb_id: Option<String>,
    /// TMDB id.
    pub tmdb_id: Option<i64>,
}

/// Everything a MovieLens folder contains.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    /// Which layout was read.
    pub format: Format,
    /// Movies, in file order.
    pub movies: Vec<Movie>,
    /// Users: from the user file, or (CSV family) derived from ratings and tags, sorted by id.
    pub users: Vec<User>,
    /// Ratings, in file order.
    pub ratings: Vec<Rating>,
    /// Tags (CSV family only).
    pub tags: Vec<Tag>,
    /// External ids (CSV family only).
    pub links: Vec<Link>,
}

impl Dataset {
    /// Keeps one rating per (user, movie) pair, the last in file order (a re-rating replaces
    /// the earlier one, as the server's upsert does), and returns how many were dropped.
    /// Evaluating with duplicates would put the same pair in a training and a test fold.
    pub fn dedupe_ratings(&mut self) -> usize {
        let mut last: std::collections::HashMap<(i64, i64), usize> =
            std::collections::HashMap::with_capacity(self.ratings.len());
        for (n, r) in self.ratings.iter().enumerate() {
            last.insert((r.user, r.movie), n);
        }
        let dropped = self.ratings.len() - last.len();
        if dropped > 0 {
            let mut n = 0;
            self.ratings.retain(|r| {
                let keep = last[&(r.user, r.movie)] == n;
                n += 1;
                keep
            });
        }
        dropped
    }

    /// Content tokens of every movie from its genres (`"genre:drama"`), for content models.
    pub fn genre_tokens(&self) -> Vec<(i64, Vec<String>)> {
        self.movies
            .iter()
            .map(|m| {
                (
                    m.id,
                    m.genres
                        .iter()
                        .map(|g| format!("genre:{}", g.to_lowercase()))
                        .collect(),
                )
            })
            .collect()
    }
}

/// Detects the layout of a MovieLens folder from the files it contains.
pub fn detect(dir: &Path) -> Result<Format, DatasetError> {
    if dir.join("u.data").is_file() {
        Ok(Format::Ml100k)
    } else if dir.join("ratings.dat").is_file() {
        Ok(Format::Ml1m)
    } else if dir.join("ratings.csv").is_file() {
        Ok(Format::MlCsv)
    } else {
        Err(DatasetError::UnknownFormat {
            dir: dir.to_path_buf(),
        })
    }
}

/// Loads a whole MovieLens folder (movies, users, ratings, and tags/links where present).
pub fn load(dir: &Path) -> Result<Dataset, DatasetError> {
    match detect(dir)? {
        Format::Ml100k => parse::load_100k(dir),
        Format::Ml1m => parse::load_1m(dir),
        Format::MlCsv => parse::load_csv(dir, true),
    }
}

/// Everything but the ratings, which [`for_each_rating`] streams (for the CSV layout the
/// users are then only those of the tags file: the caller collects the raters).
pub fn load_catalogue(dir: &Path) -> Result<Dataset, DatasetError> {
    let mut ds = match detect(dir)? {
        Format::Ml100k => parse::load_100k(dir)?,
        Format::Ml1m => parse::load_1m(dir)?,
        Format::MlCsv => return parse::load_csv(dir, false),
    };
    ds.ratings = Vec::new();
    Ok(ds)
}

/// Calls `f` with every rating of a MovieLens folder in file order, without holding them all
/// (the CSV layout is read line by line; the older layouts are small). Returns the count.
pub fn for_each_rating(
    dir: &Path,
    mut f: impl FnMut(Rating) -> Result<(), DatasetError>,
) -> Result<u64, DatasetError> {
    let all = match detect(dir)? {
        Format::Ml100k => parse::ratings_100k(&dir.join("u.data"))?,
        Format::Ml1m => parse::ratings_1m(&dir.join("ratings.dat"))?,
        Format::MlCsv => return parse::for_each_rating_csv(&dir.join("ratings.csv"), f),
    };
    let n = all.len() as u64;
    for r in all {
        f(r)?;
    }
    Ok(n)
}

/// Loads only the ratings of a MovieLens folder (the fast path for offline evaluation).
pub fn load_ratings(dir: &Path) -> Result<Vec<Rating>, DatasetError> {
    match detect(dir)? {
        Format::Ml100k => parse::ratings_100k(&dir.join("u.data")),
        Format::Ml1m => parse::ratings_1m(&dir.join("ratings.dat")),
        Format::MlCsv => parse::ratings_csv(&dir.join("ratings.csv")),
    }
}

/// Maps an ml-1m occupation code (0–20) to the name given in the ml-1m README.
pub fn ml1m_occupation(code: u32) -> Option<&'static str> {
    const NAMES: [&str; 21] = [
        "other",
        "academic/educator",
        "artist",
        "clerical/admin",
        "college/grad student",
        "customer service",
        "doctor/health care",
        "executive/managerial",
        "farmer",
        "homemaker",
        "K-12 student",
        "lawyer",
        "programmer",
        "retired",
        "sales/marketing",
        "scientist",
        "self-employed",
        "technician/engineer",
        "tradesman/craftsman",
        "unemployed",
        "writer",
    ];
    NAMES.get(code as usize).copied()
}

#[cfg(test)]
mod tests;

//! Line-level parsers for the three MovieLens layouts.

use super::{ml1m_occupation, Dataset, DatasetError, Format, Link, Movie, Rating, Tag, User};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::str::FromStr;

/// Genre names of ml-100k in flag order, used when `u.genre` is absent.
const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

fn io_err(path: &Path, source: std::io::Error) -> DatasetError {
    DatasetError::Io {
        file: path.to_path_buf(),
        source,
    }
}

fn malformed(path: &Path, line: u64, reason: impl Into<String>) -> DatasetError {
    DatasetError::Malformed {
        file: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

/// Reads a file as text. Latin-1 files are decoded as windows-1252 (a superset of the printable
/// latin-1 range); other files are read as UTF-8, falling back to windows-1252 if they are not.
fn read_text(path: &Path, latin1: bool) -> Result<String, DatasetError> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    if !latin1 {
        match String::from_utf8(bytes) {
            Ok(s) => return Ok(s),
            Err(e) => {
                let (text, _, _) = encoding_rs::WINDOWS_1252.decode(e.as_bytes());
                return Ok(text.into_owned());
            }
        }
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    Ok(text.into_owned())
}

/// Iterates non-empty lines with their 1-based line numbers (handles LF and CRLF).
fn numbered_lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
}

fn field<T: FromStr>(
    path: &Path,
    line: u64,
    name: &str,
    raw: Option<&str>,
) -> Result<T, DatasetError> {
    let raw = raw.ok_or_else(|| malformed(path, line, format!("missing field `{name}`")))?;
    raw.trim()
        .parse::<T>()
        .map_err(|_| malformed(path, line, format!("invalid {name} `{}`", raw.trim())))
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Splits `"Heat (1995)"` into `("Heat", Some(1995))`.
///
/// Trailing parenthesised groups are inspected from the end; the last one that holds a year
/// (`1995`, or a range like `2006–2007`) is removed and the rest is kept as given (trimmed), so
/// `"Land Before Time III (1995) (V)"` gives `("Land Before Time III (V)", Some(1995))`. Titles
/// without a trailing year are returned trimmed with `None`.
pub fn split_title_year(raw: &str) -> (String, Option<i32>) {
    let full = raw.trim();
    let mut end = full.len();
    loop {
        let head = full[..end].trim_end();
        if !head.ends_with(')') {
            return (full.to_string(), None);
        }
        let Some(open) = head.rfind('(') else {
            return (full.to_string(), None);
        };
        let inner = &head[open + 1..head.len() - 1];
        if let Some(year) = parse_year_group(inner) {
            let before = head[..open].trim_end();
            let after = full[head.len()..].trim();
            let title = if after.is_empty() {
                before.to_string()
            } else {
                format!("{before} {after}")
            };
            if title.is_empty() {
                return (full.to_string(), Some(year));
            }
            return (title, Some(year));
        }
        end = open;
    }
}

fn parse_year_group(inner: &str) -> Option<i32> {
    let inner = inner.trim();
    let digits: String = inner.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 {
        return None;
    }
    let rest = inner[digits.len()..].trim();
    let ok =
        rest.is_empty() || rest.starts_with('-') || rest.starts_with('–') || rest.starts_with('—');
    if !ok {
        return None;
    }
    digits.parse().ok()
}

// ---------------------------------------------------------------- ml-100k

pub(super) fn ratings_100k(path: &Path) -> Result<Vec<Rating>, DatasetError> {
    let text = read_text(path, true)?;
    let mut out = Vec::with_capacity(text.len() / 20);
    for (n, line) in numbered_lines(&text) {
        let mut it = line.split('\t');
        let user = field(path, n, "user id", it.next())?;
        let movie = field(path, n, "item id", it.next())?;
        let score = field(path, n, "rating", it.next())?;
        let timestamp = field(path, n, "timestamp", it.next())?;
        check_score(path, n, score)?;
        out.push(Rating {
            user,
            movie,
            score,
            timestamp,
        });
    }
    Ok(out)
}

fn check_score(path: &Path, line: u64, score: f32) -> Result<(), DatasetError> {
    if score.is_finite() {
        Ok(())
    } else {
        Err(malformed(
            path,
            line,
            format!("rating {score} is not finite"),
        ))
    }
}

fn genres_100k(dir: &Path) -> Result<Vec<String>, DatasetError> {
    let path = dir.join("u.genre");
    if !path.is_file() {
        return Ok(ML100K_GENRES.iter().map(|s| s.to_string()).collect());
    }
    let text = read_text(&path, true)?;
    let mut pairs = Vec::new();
    for (n, line) in numbered_lines(&text) {
        let mut it = line.split('|');
        let name = it.next().unwrap_or("").trim().to_string();
        let idx: usize = field(&path, n, "genre index", it.next())?;
        pairs.push((idx, name));
    }
    pairs.sort();
    Ok(pairs.into_iter().map(|(_, n)| n).collect())
}

fn movies_100k(dir: &Path) -> Result<Vec<Movie>, DatasetError> {
    let path = dir.join("u.item");
    let genres = genres_100k(dir)?;
    let text = read_text(&path, true)?;
    let mut out = Vec::new();
    for (n, line) in numbered_lines(&text) {
        let parts: Vec<&str> = line.split('|').collect();
        if parts.len() < 5 {
            return Err(malformed(
                &path,
                n,
                format!("expected at least 5 fields, found {}", parts.len()),
            ));
        }
        let id = field(&path, n, "movie id", Some(parts[0]))?;
        let (title, mut year) = split_title_year(parts[1]);
        if year.is_none() {
            // release date like 01-Jan-1995
            year = parts[2]
                .trim()
                .rsplit('-')
                .next()
                .and_then(|y| y.parse().ok());
        }
        let mut g = Vec::new();
        for (i, flag) in parts[5..].iter().enumerate() {
            if flag.trim() == "1" {
                match genres.get(i) {
                    Some(name) if name != "unknown" => g.push(name.clone()),
                    Some(_) => {}
                    None => {
                        return Err(malformed(
                            &path,
                            n,
                            format!("genre flag {i} has no name in u.genre"),
                        ))
                    }
                }
            } else if flag.trim() != "0" {
                return Err(malformed(&path, n, format!("invalid genre flag `{flag}`")));
            }
        }
        out.push(Movie {
            id,
            title,
            year,
            genres: g,
            imdb_id: None,
            tmdb_id: None,
        });
    }
    Ok(out)
}

fn users_100k(path: &Path) -> Result<Vec<User>, DatasetError> {
    let text = read_text(path, true)?;
    let mut out = Vec::new();
    for (n, line) in numbered_lines(&text) {
        let parts: Vec<&str> = line.split('|').collect();
        if parts.len() < 5 {
            return Err(malformed(
                path,
                n,
                format!("expected 5 fields, found {}", parts.len()),
            ));
        }
        out.push(User {
            id: field(path, n, "user id", Some(parts[0]))?,
            age: Some(field(path, n, "age", Some(parts[1]))?),
            gender: non_empty(parts[2]),
            occupation: non_empty(parts[3]),
            zip: non_empty(parts[4]),
        });
    }
    Ok(out)
}

pub(super) fn load_100k(dir: &Path) -> Result<Dataset, DatasetError> {
    let ratings = ratings_100k(&dir.join("u.data"))?;
    let movies = if dir.join("u.item").is_file() {
        movies_100k(dir)?
    } else {
        Vec::new()
    };
    let users = if dir.join("u.user").is_file() {
        users_100k(&dir.join("u.user"))?
    } else {
        implicit_users(&ratings, &[])
    };
    Ok(Dataset {
        format: Format::Ml100k,
        movies,
        users,
        ratings,
        tags: Vec::new(),
        links: Vec::new(),
    })
}

// ---------------------------------------------------------------- ml-1m

pub(super) fn ratings_1m(path: &Path) -> Result<Vec<Rating>, DatasetError> {
    let text = read_text(path, true)?;
    let mut out = Vec::with_capacity(text.len() / 24);
    for (n, line) in numbered_lines(&text) {
        let mut it = line.split("::");
        let user = field(path, n, "user id", it.next())?;
        let movie = field(path, n, "movie id", it.next())?;
        let score = field(path, n, "rating", it.next())?;
        let timestamp = field(path, n, "timestamp", it.next())?;
        check_score(path, n, score)?;
        out.push(Rating {
            user,
            movie,
            score,
            timestamp,
        });
    }
    Ok(out)
}

fn movies_1m(path: &Path) -> Result<Vec<Movie>, DatasetError> {
    let text = read_text(path, true)?;
    let mut out = Vec::new();
    for (n, line) in numbered_lines(&text) {
        let parts: Vec<&str> = line.split("::").collect();
        if parts.len() < 3 {
            return Err(malformed(
                path,
                n,
                format!("expected 3 fields, found {}", parts.len()),
            ));
        }
        // Titles could in principle contain "::"; genres are always the last field.
        let id = field(path, n, "movie id", Some(parts[0]))?;
        let raw_title = parts[1..parts.len() - 1].join("::");
        let (title, year) = split_title_year(&raw_title);
        out.push(Movie {
            id,
            title,
            year,
            genres: split_genres(parts[parts.len() - 1]),
            imdb_id: None,
            tmdb_id: None,
        });
    }
    Ok(out)
}

fn users_1m(path: &Path) -> Result<Vec<User>, DatasetError> {
    let text = read_text(path, true)?;
    let mut out = Vec::new();
    for (n, line) in numbered_lines(&text) {
        let parts: Vec<&str> = line.split("::").collect();
        if parts.len() < 5 {
            return Err(malformed(
                path,
                n,
                format!("expected 5 fields, found {}", parts.len()),
            ));
        }
        let code: u32 = field(path, n, "occupation", Some(parts[3]))?;
        let occupation = ml1m_occupation(code)
            .ok_or_else(|| malformed(path, n, format!("unknown occupation code {code}")))?;
        out.push(User {
            id: field(path, n, "user id", Some(parts[0]))?,
            gender: non_empty(parts[1]),
            age: Some(field(path, n, "age", Some(parts[2]))?),
            occupation: Some(occupation.to_string()),
            zip: non_empty(parts[4]),
        });
    }
    Ok(out)
}

pub(super) fn load_1m(dir: &Path) -> Result<Dataset, DatasetError> {
    let ratings = ratings_1m(&dir.join("ratings.dat"))?;
    let movies = if dir.join("movies.dat").is_file() {
        movies_1m(&dir.join("movies.dat"))?
    } else {
        Vec::new()
    };
    let users = if dir.join("users.dat").is_file() {
        users_1m(&dir.join("users.dat"))?
    } else {
        implicit_users(&ratings, &[])
    };
    Ok(Dataset {
        format: Format::Ml1m,
        movies,
        users,
        ratings,
        tags: Vec::new(),
        links: Vec::new(),
    })
}

// ---------------------------------------------------------------- CSV family

fn split_genres(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "(no genres listed)" {
        return Vec::new();
    }
    raw.split('|')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs `f` on every data record of a CSV file (header skipped) with its 1-based line number.
fn for_each_csv(
    path: &Path,
    mut f: impl FnMut(u64, &csv::StringRecord) -> Result<(), DatasetError>,
) -> Result<(), DatasetError> {
    let text = read_text(path, false)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    // The csv crate's own line counter is off by one after a CRLF header, so lines are counted
    // from byte offsets instead.
    let bytes = text.as_bytes();
    let (mut seen, mut line_at_seen) = (0usize, 1u64);
    let mut line_of = |byte: usize| {
        let mut byte = byte.min(bytes.len());
        while byte < bytes.len() && (bytes[byte] == b'\r' || bytes[byte] == b'\n') {
            byte += 1;
        }
        if byte >= seen {
            line_at_seen += bytes[seen..byte].iter().filter(|&&b| b == b'\n').count() as u64;
            seen = byte;
        }
        line_at_seen
    };
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = rec
                    .position()
                    .map(|p| line_of(p.byte() as usize))
                    .unwrap_or(0);
                if rec.len() == 1 && rec[0].trim().is_empty() {
                    continue;
                }
                f(line, &rec)?;
            }
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| line_of(p.byte() as usize))
                    .unwrap_or(0);
                return Err(malformed(path, line, e.to_string()));
            }
        }
    }
}

/// Calls `f` with each rating of a `ratings.csv` (`userId,movieId,rating,timestamp` after a
/// header line), reading it line by line: a file of any size in constant memory. Returns how
/// many ratings there were.
pub(super) fn for_each_rating_csv(
    path: &Path,
    mut f: impl FnMut(Rating) -> Result<(), DatasetError>,
) -> Result<u64, DatasetError> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(128);
    let (mut line, mut count) = (0u64, 0u64);
    loop {
        buf.clear();
        if reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| io_err(path, e))?
            == 0
        {
            return Ok(count);
        }
        line += 1;
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        if line == 1 || text.is_empty() {
            continue;
        }
        let mut it = text.split(',').map(|s| s.trim().trim_matches('"'));
        let user = field(path, line, "userId", it.next())?;
        let movie = field(path, line, "movieId", it.next())?;
        let score = field(path, line, "rating", it.next())?;
        check_score(path, line, score)?;
        let timestamp = field(path, line, "timestamp", it.next())?;
        f(Rating {
            user,
            movie,
            score,
            timestamp,
        })?;
        count += 1;
    }
}

pub(super) fn ratings_csv(path: &Path) -> Result<Vec<Rating>, DatasetError> {
    let mut out = Vec::new();
    for_each_rating_csv(path, |r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

fn movies_csv(path: &Path) -> Result<Vec<Movie>, DatasetError> {
    let mut out = Vec::new();
    for_each_csv(path, |n, r| {
        if r.len() < 3 {
            return Err(malformed(
                path,
                n,
                format!("expected 3 fields, found {}", r.len()),
            ));
        }
        let (title, year) = split_title_year(&r[1]);
        out.push(Movie {
            id: field(path, n, "movieId", r.get(0))?,
            title,
            year,
            genres: split_genres(&r[2]),
            imdb_id: None,
            tmdb_id: None,
        });
        Ok(())
    })?;
    Ok(out)
}

fn tags_csv(path: &Path) -> Result<Vec<Tag>, DatasetError> {
    let mut out = Vec::new();
    for_each_csv(path, |n, r| {
        if r.len() < 4 {
            return Err(malformed(
                path,
                n,
                format!("expected 4 fields, found {}", r.len()),
            ));
        }
        out.push(Tag {
            user: field(path, n, "userId", r.get(0))?,
            movie: field(path, n, "movieId", r.get(1))?,
            tag: r[2].to_string(),
            timestamp: field(path, n, "timestamp", r.get(3))?,
        });
        Ok(())
    })?;
    Ok(out)
}

fn links_csv(path: &Path) -> Result<Vec<Link>, DatasetError> {
    let mut out = Vec::new();
    for_each_csv(path, |n, r| {
        let movie = field(path, n, "movieId", r.get(0))?;
        let imdb_id = r.get(1).and_then(non_empty).map(|s| {
            if s.starts_with("tt") {
                s
            } else {
                format!("tt{s}")
            }
        });
        let tmdb_id = match r.get(2).map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .map_err(|_| malformed(path, n, format!("invalid tmdbId `{s}`")))?,
            ),
        };
        out.push(Link {
            movie,
            imdb_id,
            tmdb_id,
        });
        Ok(())
    })?;
    Ok(out)
}

fn implicit_users(ratings: &[Rating], tags: &[Tag]) -> Vec<User> {
    let ids: BTreeSet<i64> = ratings
        .iter()
        .map(|r| r.user)
        .chain(tags.iter().map(|t| t.user))
        .collect();
    ids.into_iter().map(User::anonymous).collect()
}

/// The CSV layout; without `with_ratings` the ratings are left for [`for_each_rating_csv`]
/// (and the users are those of the tags file).
pub(super) fn load_csv(dir: &Path, with_ratings: bool) -> Result<Dataset, DatasetError> {
    let ratings = if with_ratings {
        ratings_csv(&dir.join("ratings.csv"))?
    } else {
        Vec::new()
    };
    let mut movies = if dir.join("movies.csv").is_file() {
        movies_csv(&dir.join("movies.csv"))?
    } else {
        Vec::new()
    };
    let tags = if dir.join("tags.csv").is_file() {
        tags_csv(&dir.join("tags.csv"))?
    } else {
        Vec::new()
    };
    let links = if dir.join("links.csv").is_file() {
        links_csv(&dir.join("links.csv"))?
    } else {
        Vec::new()
    };
    let by_id: HashMap<i64, &Link> = links.iter().map(|l| (l.movie, l)).collect();
    for m in &mut movies {
        if let Some(l) = by_id.get(&m.id) {
            m.imdb_id = l.imdb_id.clone();
            m.tmdb_id = l.tmdb_id;
        }
    }
    let users = implicit_users(&ratings, &tags);
    Ok(Dataset {
        format: Format::MlCsv,
        movies,
        users,
        ratings,
        tags,
        links,
    })
}

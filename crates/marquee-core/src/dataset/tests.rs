use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "marquee-dataset-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> &Self {
        std::fs::write(self.0.join(name), bytes).unwrap();
        self
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shared(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets")
        .join(name);
    // The datasets sit beside the checkout (`../shared/datasets`) on every machine and in CI.
    assert!(p.is_dir(), "dataset {} not found", p.display());
    Some(p)
}

#[test]
fn title_year_is_split_off() {
    assert_eq!(split_title_year("Heat (1995)"), ("Heat".into(), Some(1995)));
    assert_eq!(
        split_title_year("Misérables, Les (1995) "),
        ("Misérables, Les".into(), Some(1995))
    );
    assert_eq!(
        split_title_year("Assembly (Ji jie hao) (2007) "),
        ("Assembly (Ji jie hao)".into(), Some(2007))
    );
    assert_eq!(
        split_title_year("Black Mirror"),
        ("Black Mirror".into(), None)
    );
    assert_eq!(
        split_title_year("Death Note: Desu nôto (2006–2007)"),
        ("Death Note: Desu nôto".into(), Some(2006))
    );
    assert_eq!(
        split_title_year("Land Before Time III (1995) (V)"),
        ("Land Before Time III (V)".into(), Some(1995))
    );
    assert_eq!(split_title_year("1984 (1984)"), ("1984".into(), Some(1984)));
    assert_eq!(
        split_title_year("(500) Days of Summer (2009)"),
        ("(500) Days of Summer".into(), Some(2009))
    );
}

#[test]
fn ml100k_fixture_parses_latin1_and_genres() {
    let d = TempDir::new();
    d.write("u.data", b"1\t10\t5\t881250949\n2\t10\t3\t891717742\n")
        .write("u.genre", b"unknown|0\nAction|1\nDrama|2\n\n")
        .write(
            "u.item",
            b"10|Mis\xe9rables, Les (1995)|01-Jan-1995||http://x|0|1|1\n11|unknown||||1|0|0\n",
        )
        .write("u.user", b"1|24|M|technician|85711\n2|53|F|other|94043\n");
    assert_eq!(detect(&d.0).unwrap(), Format::Ml100k);
    let ds = load(&d.0).unwrap();
    assert_eq!(ds.ratings.len(), 2);
    assert_eq!(ds.ratings[1].score, 3.0);
    assert_eq!(ds.movies[0].title, "Misérables, Les");
    assert_eq!(ds.movies[0].year, Some(1995));
    assert_eq!(ds.movies[0].genres, vec!["Action", "Drama"]);
    assert!(ds.movies[1].genres.is_empty());
    assert_eq!(ds.users[1].occupation.as_deref(), Some("other"));
    assert_eq!(ds.users[0].age, Some(24));
}

#[test]
fn ml100k_malformed_line_reports_file_and_line() {
    let d = TempDir::new();
    d.write("u.data", b"1\t10\t5\t881250949\n\n2\tx\t3\t891717742\n");
    let err = load_ratings(&d.0).unwrap_err();
    match err {
        DatasetError::Malformed { file, line, .. } => {
            assert!(file.ends_with("u.data"));
            assert_eq!(line, 3);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ml1m_fixture_maps_occupation_codes() {
    let d = TempDir::new();
    d.write("ratings.dat", b"1::1193::5::978300760\n1::661::3::978302109\n")
        .write(
            "movies.dat",
            b"1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::Cit\xe9 (1996)::Animation|Children's|Musical\n",
        )
        .write("users.dat", b"1::F::1::10::48067\n2::M::56::16::70072\n");
    assert_eq!(detect(&d.0).unwrap(), Format::Ml1m);
    let ds = load(&d.0).unwrap();
    assert_eq!(ds.ratings.len(), 2);
    assert_eq!(ds.movies[1].title, "Cité");
    assert_eq!(ds.movies[1].genres.len(), 3);
    assert_eq!(ds.users[0].occupation.as_deref(), Some("K-12 student"));
    assert_eq!(ds.users[1].occupation.as_deref(), Some("self-employed"));
    assert_eq!(ds.users[1].age, Some(56));
    assert_eq!(ds.users[0].gender.as_deref(), Some("F"));
}

#[test]
fn ml1m_unknown_occupation_is_malformed() {
    let d = TempDir::new();
    d.write("ratings.dat", b"1::1::5::1\n")
        .write("users.dat", b"1::F::1::10::48067\n2::M::56::99::70072\n");
    let err = load(&d.0).unwrap_err();
    assert!(
        matches!(err, DatasetError::Malformed { line: 2, .. }),
        "{err}"
    );
}

#[test]
fn csv_fixture_handles_quotes_crlf_and_links() {
    let d = TempDir::new();
    d.write(
        "ratings.csv",
        b"userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n3,2,0.5,964981247\r\n",
    )
    .write(
        "movies.csv",
        "movieId,title,genres\r\n1,\"American President, The (1995)\",Comedy|Drama|Romance\r\n2,Black Mirror,(no genres listed)\r\n"
            .as_bytes(),
    )
    .write(
        "tags.csv",
        b"userId,movieId,tag,timestamp\r\n7,1,\"funny, sad\",1445714994\r\n",
    )
    .write("links.csv", b"movieId,imdbId,tmdbId\r\n1,0112346,9087\r\n2,2085059,\r\n");
    assert_eq!(detect(&d.0).unwrap(), Format::MlCsv);
    let ds = load(&d.0).unwrap();
    assert_eq!(ds.ratings.len(), 2);
    assert_eq!(ds.ratings[1].score, 0.5);
    assert_eq!(ds.movies[0].title, "American President, The");
    assert_eq!(ds.movies[0].year, Some(1995));
    assert_eq!(ds.movies[0].imdb_id.as_deref(), Some("tt0112346"));
    assert_eq!(ds.movies[0].tmdb_id, Some(9087));
    assert!(ds.movies[1].genres.is_empty());
    assert_eq!(ds.movies[1].tmdb_id, None);
    assert_eq!(ds.tags[0].tag, "funny, sad");
    let ids: Vec<i64> = ds.users.iter().map(|u| u.id).collect();
    assert_eq!(ids, vec![1, 3, 7]);
}

#[test]
fn csv_malformed_line_reports_line_number() {
    let d = TempDir::new();
    d.write(
        "ratings.csv",
        b"userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,2,4.0,964982703\r\n1,3,four,964982703\r\n",
    );
    match load_ratings(&d.0).unwrap_err() {
        DatasetError::Malformed { file, line, reason } => {
            assert!(file.ends_with("ratings.csv"));
            assert_eq!(line, 4, "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn unknown_folder_is_a_clear_error() {
    let d = TempDir::new();
    d.write("readme.txt", b"hello");
    let err = load(&d.0).unwrap_err();
    assert!(matches!(err, DatasetError::UnknownFormat { .. }));
    assert!(err.to_string().contains("not a MovieLens folder"));
}

#[test]
fn real_ml100k_counts() {
    let Some(dir) = shared("ml-100k") else { return };
    let ds = load(&dir).unwrap();
    assert_eq!(ds.format, Format::Ml100k);
    assert_eq!(ds.ratings.len(), 100_000);
    assert_eq!(ds.users.len(), 943);
    assert_eq!(ds.movies.len(), 1682);
    assert!(ds.movies.iter().any(|m| m.title.starts_with("Misérables")));
}

#[test]
fn real_ml_latest_small_counts() {
    let Some(dir) = shared("ml-latest-small") else {
        return;
    };
    let ds = load(&dir).unwrap();
    assert_eq!(ds.format, Format::MlCsv);
    assert_eq!(ds.ratings.len(), 100_836);
    assert_eq!(ds.users.len(), 610);
    assert_eq!(ds.movies.len(), 9742);
    assert_eq!(ds.tags.len(), 3683);
    assert_eq!(ds.links.len(), 9742);
    let heat = ds.movies.iter().find(|m| m.id == 6).unwrap();
    assert_eq!((heat.title.as_str(), heat.year), ("Heat", Some(1995)));
}

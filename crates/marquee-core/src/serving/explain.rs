//! Turns a model's explanation (source + evidence) into a reason a person can read:
//! "Because you rated Heat ★5", "Same director as Alien", "Trending this week".
use crate::demographics::AgeBand;
use crate::recommender::Source;

/// The kind of reason, for frontends that style or group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKind {
    /// "Because you rated Heat ★5".
    BecauseYouRated,
    /// "Because you watched Alien".
    BecauseYouWatched,
    /// "Same director as Alien".
    SameDirector,
    /// "Because you liked Alien".
    SimilarContent,
    /// "Picked for you".
    Personalized,
    /// "Popular with viewers".
    Popular,
    /// "Trending this week".
    Trending,
    /// "Popular with viewers aged 25–34".
    Demographic,
    /// Chosen by an editor: a pin, a collection or a boost ("Editor's pick: Noir Week").
    EditorsPick,
}

/// The reason of an item an editor chose: "Editor's pick", or "Editor's pick: <detail>" when the
/// collection has a title or the boost a public reason.
pub fn editors_pick(detail: Option<&str>) -> (ReasonKind, String) {
    match detail.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => (ReasonKind::EditorsPick, format!("Editor's pick: {n}")),
        None => (ReasonKind::EditorsPick, "Editor's pick".into()),
    }
}

/// One piece of evidence as serving knows it.
#[derive(Debug, Clone)]
pub struct EvidenceItem<'a> {
    /// Its title.
    pub title: &'a str,
    /// The user's star rating of it, if any.
    pub rating: Option<f32>,
    /// Directors it shares with the recommended movie.
    pub shared_directors: Vec<&'a str>,
}

fn stars(r: f32) -> String {
    if (r - r.round()).abs() < 1e-6 {
        format!("★{}", r.round() as i32)
    } else {
        format!("★{r:.1}")
    }
}

/// The reason for one recommended item.
pub fn reason(
    source: Source,
    evidence: &[EvidenceItem<'_>],
    age_band: Option<AgeBand>,
) -> (ReasonKind, String) {
    match source {
        Source::Popular => (ReasonKind::Popular, "Popular with viewers".into()),
        Source::Trending => (ReasonKind::Trending, "Trending this week".into()),
        Source::Demographic => match age_band {
            Some(b) => (
                ReasonKind::Demographic,
                format!("Popular with viewers aged {}", b.label()),
            ),
            None => (
                ReasonKind::Demographic,
                "Popular with viewers like you".into(),
            ),
        },
        Source::Content | Source::Model => {
            if let Some(e) = evidence.iter().find(|e| !e.shared_directors.is_empty()) {
                if source == Source::Content {
                    return (
                        ReasonKind::SameDirector,
                        format!("Same director as {}", e.title),
                    );
                }
            }
            match evidence.first() {
                Some(e) => match e.rating {
                    Some(r) => (
                        ReasonKind::BecauseYouRated,
                        format!("Because you rated {} {}", e.title, stars(r)),
                    ),
                    None if source == Source::Content => (
                        ReasonKind::SimilarContent,
                        format!("Because you liked {}", e.title),
                    ),
                    None => (
                        ReasonKind::BecauseYouWatched,
                        format!("Because you watched {}", e.title),
                    ),
                },
                None => (ReasonKind::Personalized, "Picked for you".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(title: &'a str, rating: Option<f32>, dirs: Vec<&'a str>) -> EvidenceItem<'a> {
        EvidenceItem {
            title,
            rating,
            shared_directors: dirs,
        }
    }

    #[test]
    fn a_rated_neighbour_is_named_with_its_stars() {
        let (k, t) = reason(Source::Model, &[ev("Heat", Some(5.0), vec![])], None);
        assert_eq!(k, ReasonKind::BecauseYouRated);
        assert_eq!(t, "Because you rated Heat ★5");
        let (_, t) = reason(Source::Model, &[ev("Heat", Some(4.5), vec![])], None);
        assert_eq!(t, "Because you rated Heat ★4.5");
    }

    #[test]
    fn implicit_evidence_reads_as_watched() {
        let (k, t) = reason(Source::Model, &[ev("Alien", None, vec![])], None);
        assert_eq!(
            (k, t.as_str()),
            (ReasonKind::BecauseYouWatched, "Because you watched Alien")
        );
    }

    #[test]
    fn content_evidence_with_a_shared_director_says_so() {
        let (k, t) = reason(
            Source::Content,
            &[ev("Alien", Some(4.0), vec!["Ridley Scott"])],
            None,
        );
        assert_eq!(
            (k, t.as_str()),
            (ReasonKind::SameDirector, "Same director as Alien")
        );
    }

    #[test]
    fn cold_start_sources_have_their_own_reasons() {
        assert_eq!(reason(Source::Trending, &[], None).1, "Trending this week");
        assert_eq!(
            reason(Source::Demographic, &[], Some(AgeBand::From25To34)).1,
            "Popular with viewers aged 25–34"
        );
        assert_eq!(reason(Source::Popular, &[], None).0, ReasonKind::Popular);
        assert_eq!(reason(Source::Model, &[], None).0, ReasonKind::Personalized);
    }

    #[test]
    fn editors_picks_name_their_detail_when_there_is_one() {
        assert_eq!(
            editors_pick(Some("Noir Week")),
            (ReasonKind::EditorsPick, "Editor's pick: Noir Week".into())
        );
        assert_eq!(editors_pick(Some("  ")).1, "Editor's pick");
        assert_eq!(editors_pick(None).1, "Editor's pick");
    }
}

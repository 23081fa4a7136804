//! Closed vocabularies of the API as GraphQL enums and inputs: surfaces, age bands, genders
//! and audit actor kinds. The database and the application layer keep their stored names
//! (`GENRE:Drama`, `25-34`, `F`, `staff`); these types convert at the edge so a client's
//! typed code can only send a value that exists.
use async_graphql::{Enum, InputObject, SimpleObject};
use marquee_core::demographics::AgeBand as CoreAgeBand;
use marquee_core::serving::curation::Surface as CoreSurface;

use crate::error::AppError;

/// The kind of place where recommendations and curated content are shown.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SurfaceKind {
    /// The home feed.
    Home,
    /// The `recommendations` list.
    Recommendations,
    /// The page of one genre (the surface's `genre` names it).
    Genre,
}

/// A place where recommendations and curated content are shown.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "Surface")]
pub struct SurfaceGql {
    /// Which kind of place.
    pub kind: SurfaceKind,
    /// The genre's name when `kind` is GENRE, as editors typed it; null otherwise.
    pub genre: Option<String>,
}

impl From<&CoreSurface> for SurfaceGql {
    fn from(s: &CoreSurface) -> Self {
        match s {
            CoreSurface::Home => Self {
                kind: SurfaceKind::Home,
                genre: None,
            },
            CoreSurface::Recommendations => Self {
                kind: SurfaceKind::Recommendations,
                genre: None,
            },
            CoreSurface::Genre(g) => Self {
                kind: SurfaceKind::Genre,
                genre: Some(g.clone()),
            },
        }
    }
}

impl SurfaceGql {
    /// The surface a stored key names (`HOME`, `RECOMMENDATIONS`, `GENRE:<name>`). Keys are
    /// checked when written; one that no longer parses reads as a genre page of that text
    /// rather than failing the whole answer.
    pub fn from_key(key: &str) -> Self {
        match CoreSurface::parse(key) {
            Ok(s) => Self::from(&s),
            Err(_) => Self {
                kind: SurfaceKind::Genre,
                genre: Some(key.to_owned()),
            },
        }
    }
}

/// A place where recommendations and curated content are shown: `{kind: HOME}`,
/// `{kind: RECOMMENDATIONS}` or `{kind: GENRE, genre: "Drama"}`.
#[derive(InputObject, Clone, Debug)]
pub struct SurfaceInput {
    /// Which kind of place.
    pub kind: SurfaceKind,
    /// The genre's name (1–64 characters), required when `kind` is GENRE and refused
    /// otherwise (BAD_USER_INPUT).
    #[graphql(validator(max_length = 64))]
    pub genre: Option<String>,
}

impl SurfaceInput {
    /// The surface, checked.
    pub fn surface(&self) -> Result<CoreSurface, AppError> {
        match (self.kind, self.genre.as_deref()) {
            (SurfaceKind::Home, None) => Ok(CoreSurface::Home),
            (SurfaceKind::Recommendations, None) => Ok(CoreSurface::Recommendations),
            (SurfaceKind::Genre, Some(g)) => {
                CoreSurface::parse(&format!("GENRE:{g}")).map_err(AppError::bad_input)
            }
            (SurfaceKind::Genre, None) => Err(AppError::bad_input(
                "a GENRE surface needs `genre`, the genre's name",
            )),
            (_, Some(_)) => Err(AppError::bad_input("`genre` is only for a GENRE surface")),
        }
    }

    /// The stored key of the checked surface.
    pub fn key(&self) -> Result<String, AppError> {
        self.surface().map(|s| s.key())
    }
}

/// An age band.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "marquee_core::demographics::AgeBand")]
pub enum AgeBand {
    /// Younger than 18.
    #[graphql(name = "UNDER_18")]
    Under18,
    /// 18 to 24.
    #[graphql(name = "AGE_18_24")]
    From18To24,
    /// 25 to 34.
    #[graphql(name = "AGE_25_34")]
    From25To34,
    /// 35 to 44.
    #[graphql(name = "AGE_35_44")]
    From35To44,
    /// 45 to 54.
    #[graphql(name = "AGE_45_54")]
    From45To54,
    /// 55 to 64.
    #[graphql(name = "AGE_55_64")]
    From55To64,
    /// 65 or older.
    #[graphql(name = "AGE_65_PLUS")]
    From65,
}

impl AgeBand {
    /// The stored name (`25-34`).
    pub fn stored(self) -> String {
        CoreAgeBand::from(self).as_str().to_owned()
    }

    /// The band a stored name holds, if it is one.
    pub fn from_stored(s: &str) -> Option<Self> {
        s.parse::<CoreAgeBand>().ok().map(Self::from)
    }
}

/// A gender, as users state it in their profile.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Gender {
    /// Female (stored as F).
    Female,
    /// Male (stored as M).
    Male,
    /// Another gender or not stated as female or male (stored as X).
    Other,
}

impl Gender {
    /// The stored letter.
    pub fn stored(self) -> String {
        match self {
            Gender::Female => "F",
            Gender::Male => "M",
            Gender::Other => "X",
        }
        .to_owned()
    }

    /// The gender a stored letter holds, if it is one.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "F" => Some(Gender::Female),
            "M" => Some(Gender::Male),
            "X" => Some(Gender::Other),
            _ => None,
        }
    }
}

/// Who did something recorded in the audit log.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ActorKind {
    /// An end user, through a frontend app.
    User,
    /// A staff member, through the console or the API.
    Staff,
    /// Marquee itself (scheduled jobs, command-line tools).
    System,
}

impl ActorKind {
    /// The stored name (`staff`).
    pub fn stored(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Staff => "staff",
            ActorKind::System => "system",
        }
    }

    /// The kind a stored name holds; anything else reads as SYSTEM.
    pub fn from_stored(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "user" => ActorKind::User,
            "staff" => ActorKind::Staff,
            _ => ActorKind::System,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_age_band_survives_the_round_trip_through_its_stored_name() {
        for b in CoreAgeBand::ALL {
            let g = AgeBand::from(b);
            assert_eq!(AgeBand::from_stored(&g.stored()), Some(g));
        }
    }

    #[test]
    fn a_genre_surface_needs_its_name_and_no_other_surface_takes_one() {
        let s = |kind, genre: Option<&str>| SurfaceInput {
            kind,
            genre: genre.map(str::to_owned),
        };
        assert_eq!(
            s(SurfaceKind::Genre, Some(" Drama ")).key().unwrap(),
            "GENRE:Drama"
        );
        assert_eq!(s(SurfaceKind::Home, None).key().unwrap(), "HOME");
        assert!(s(SurfaceKind::Genre, None).key().is_err());
        assert!(s(SurfaceKind::Genre, Some("  ")).key().is_err());
        assert!(s(SurfaceKind::Home, Some("Drama")).key().is_err());
        assert_eq!(
            SurfaceGql::from_key("GENRE:Drama"),
            SurfaceGql {
                kind: SurfaceKind::Genre,
                genre: Some("Drama".into())
            }
        );
    }
}

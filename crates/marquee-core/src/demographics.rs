//! Demographic facts as Marquee stores them: the age bands users can be in.
use std::fmt;
use std::str::FromStr;

/// An age band, as a user's profile holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    Under18,
    From18To24,
    From25To34,
    From35To44,
    From45To54,
    From55To64,
    From65,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 7] = [
        AgeBand::Under18,
        AgeBand::From18To24,
        AgeBand::From25To34,
        AgeBand::From35To44,
        AgeBand::From45To54,
        AgeBand::From55To64,
        AgeBand::From65,
    ];

    /// The stored name: `under-18`, `18-24`, …, `65+`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under18 => "under-18",
            AgeBand::From18To24 => "18-24",
            AgeBand::From25To34 => "25-34",
            AgeBand::From35To44 => "35-44",
            AgeBand::From45To54 => "45-54",
            AgeBand::From55To64 => "55-64",
            AgeBand::From65 => "65+",
        }
    }

    /// The band of an age in years.
    pub fn of_age(years: i32) -> AgeBand {
        match years {
            i32::MIN..=17 => AgeBand::Under18,
            18..=24 => AgeBand::From18To24,
            25..=34 => AgeBand::From25To34,
            35..=44 => AgeBand::From35To44,
            45..=54 => AgeBand::From45To54,
            55..=64 => AgeBand::From55To64,
            _ => AgeBand::From65,
        }
    }

    /// An age inside the band (models take ages; `of_age(midpoint)` is the band again).
    pub fn midpoint(self) -> i32 {
        match self {
            AgeBand::Under18 => 15,
            AgeBand::From18To24 => 21,
            AgeBand::From25To34 => 30,
            AgeBand::From35To44 => 40,
            AgeBand::From45To54 => 50,
            AgeBand::From55To64 => 60,
            AgeBand::From65 => 70,
        }
    }

    /// As shown to people: "25–34", "65+".
    pub fn label(self) -> String {
        self.as_str().replace('-', "–")
    }

    /// Every stored name, for error messages: `under-18, 18-24, …`.
    pub fn names() -> String {
        AgeBand::ALL.map(AgeBand::as_str).join(", ")
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an age band.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown age band `{0}`: use one of under-18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+")]
pub struct UnknownAgeBand(pub String);

impl FromStr for AgeBand {
    type Err = UnknownAgeBand;
    /// Reads a stored name, ignoring case and surrounding space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        AgeBand::ALL
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownAgeBand(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_band_round_trips_through_its_name_and_its_midpoint() {
        for b in AgeBand::ALL {
            assert_eq!(b.as_str().parse::<AgeBand>(), Ok(b));
            assert_eq!(AgeBand::of_age(b.midpoint()), b);
        }
        assert_eq!(" 25-34 ".parse::<AgeBand>(), Ok(AgeBand::From25To34));
        assert!("25–34".parse::<AgeBand>().is_err());
    }

    #[test]
    fn ages_fall_into_the_bands_at_their_edges() {
        assert_eq!(AgeBand::of_age(17), AgeBand::Under18);
        assert_eq!(AgeBand::of_age(18), AgeBand::From18To24);
        assert_eq!(AgeBand::of_age(64), AgeBand::From55To64);
        assert_eq!(AgeBand::of_age(65), AgeBand::From65);
    }
}

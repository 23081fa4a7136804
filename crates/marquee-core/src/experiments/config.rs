//! What a variant changes in serving. A variant's configuration is applied to the curation
//! snapshot the ranking pipeline reads (never to the admission rule: blocks and a viewer's own
//! exclusions hold in every variant), so a variant can serve the surface without editorial
//! curation, or with other diversity settings.
use serde::{Deserialize, Serialize};

use crate::serving::curation::{CurationSnapshot, DiversitySettings, RuleKind, Surface};

/// A variant's serving configuration; the default changes nothing (the control).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VariantConfig {
    /// Editorial curation on the surface: pins, collection rows, boosts and buries. Off, the
    /// variant serves the model's ranking alone (block rules still apply).
    pub curation: bool,
    /// Diversity settings for the surface in place of the editors' ones.
    pub diversity: Option<DiversitySettings>,
}

impl Default for VariantConfig {
    fn default() -> Self {
        VariantConfig {
            curation: true,
            diversity: None,
        }
    }
}

impl VariantConfig {
    /// Checks the diversity settings' ranges.
    pub fn validate(&self) -> Result<(), String> {
        match &self.diversity {
            Some(d) => d.validate(),
            None => Ok(()),
        }
    }

    /// Whether serving is the same as without the experiment.
    pub fn is_neutral(&self) -> bool {
        self.curation && self.diversity.is_none()
    }

    /// The snapshot the pipeline reads for `surface` in this variant.
    pub fn apply(&self, base: &CurationSnapshot, surface: &Surface) -> CurationSnapshot {
        let mut s = base.clone();
        if !self.curation {
            s.placements.retain(|p| !p.surface.same_as(surface));
            if *surface == Surface::Home {
                s.collections.clear();
            }
            s.rules.retain(|r| {
                r.kind == RuleKind::Block || r.surface.as_ref().is_some_and(|o| !o.same_as(surface))
            });
        }
        if let Some(d) = &self.diversity {
            s.diversity.insert(surface.key(), d.clone());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serving::curation::{
        Audience, Collection, PinTarget, Placement, Rule, RuleTarget, Schedule,
    };

    fn snapshot() -> CurationSnapshot {
        let placement = |id, surface| Placement {
            id,
            surface,
            position: 1,
            target: PinTarget::Movie(7),
            schedule: Schedule::default(),
            audience: Audience::default(),
        };
        let rule = |id, kind, surface| Rule {
            id,
            kind,
            multiplier: if kind == RuleKind::Boost { 2.0 } else { 0.0 },
            target: RuleTarget::Movie(9),
            surface,
            schedule: Schedule::default(),
            note: None,
        };
        CurationSnapshot {
            collections: vec![Collection {
                id: 1,
                slug: "noir".into(),
                title: "Noir".into(),
                published: true,
                schedule: Schedule::default(),
                audience: Audience::default(),
                movie_ids: vec![1, 2],
            }],
            placements: vec![
                placement(1, Surface::Home),
                placement(2, Surface::Recommendations),
            ],
            rules: vec![
                rule(1, RuleKind::Boost, None),
                rule(2, RuleKind::Boost, Some(Surface::Home)),
                rule(3, RuleKind::Boost, Some(Surface::Recommendations)),
                rule(4, RuleKind::Block, None),
            ],
            diversity: Default::default(),
        }
    }

    #[test]
    fn the_control_configuration_changes_nothing() {
        let c = VariantConfig::default();
        assert!(c.is_neutral());
        assert_eq!(c.apply(&snapshot(), &Surface::Home), snapshot());
    }

    #[test]
    fn curation_off_drops_the_surface_s_editorial_choices_but_keeps_blocks() {
        let off = VariantConfig {
            curation: false,
            diversity: None,
        };
        let home = off.apply(&snapshot(), &Surface::Home);
        assert!(home.collections.is_empty());
        assert_eq!(
            home.placements.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![2]
        );
        // The rule for every surface and the home one go; the other surface's and the block stay.
        assert_eq!(
            home.rules.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![3, 4]
        );
        let recs = off.apply(&snapshot(), &Surface::Recommendations);
        assert_eq!(recs.collections.len(), 1);
        assert_eq!(
            recs.rules.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![2, 4]
        );
    }

    #[test]
    fn a_variant_s_diversity_replaces_the_surface_s() {
        let d = DiversitySettings {
            max_per_genre: Some(2),
            ..DiversitySettings::default()
        };
        let c = VariantConfig {
            curation: true,
            diversity: Some(d.clone()),
        };
        assert!(!c.is_neutral());
        let s = c.apply(&snapshot(), &Surface::Recommendations);
        assert_eq!(s.diversity_for(&Surface::Recommendations), d);
        assert_eq!(
            s.diversity_for(&Surface::Home),
            DiversitySettings::default()
        );
        let bad = VariantConfig {
            curation: true,
            diversity: Some(DiversitySettings {
                mmr_lambda: 2.0,
                ..DiversitySettings::default()
            }),
        };
        assert!(bad.validate().is_err());
        // Stored as JSON; a missing field takes the control's value.
        let parsed: VariantConfig = serde_json::from_str(r#"{"curation": false}"#).unwrap();
        assert_eq!((parsed.curation, parsed.diversity), (false, None));
    }
}

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
    /// How many of the model's best candidates a list (and the home feed's personal rows)
    /// re-ranks, in place of the server's default.
    pub candidate_pool: Option<u32>,
    /// Factors on the ranking blend's learned component weights: `als` × 2 doubles ALS's
    /// weight, × 0 leaves it out; components not named keep theirs.
    pub blend: Vec<BlendFactor>,
}

/// A factor on one component's weight in the ranking blend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlendFactor {
    /// The component, by model name (`als`, `ease`, `knn_rank`, `popularity`, …).
    pub component: String,
    /// Multiplies its learned weight: 0 to [`MAX_BLEND_FACTOR`].
    pub factor: f64,
}

/// Smallest candidate pool a variant may ask for.
pub const MIN_CANDIDATE_POOL: u32 = 20;
/// Largest candidate pool a variant may ask for.
pub const MAX_CANDIDATE_POOL: u32 = 5000;
/// Largest factor on a blend component's weight.
pub const MAX_BLEND_FACTOR: f64 = 10.0;

impl Default for VariantConfig {
    fn default() -> Self {
        VariantConfig {
            curation: true,
            diversity: None,
            candidate_pool: None,
            blend: Vec::new(),
        }
    }
}

impl VariantConfig {
    /// Checks the diversity settings', the candidate pool's and the blend factors' ranges.
    /// (Whether the blend's components exist depends on the model served: the caller checks.)
    pub fn validate(&self) -> Result<(), String> {
        if let Some(d) = &self.diversity {
            d.validate()?;
        }
        if let Some(p) = self.candidate_pool {
            if !(MIN_CANDIDATE_POOL..=MAX_CANDIDATE_POOL).contains(&p) {
                return Err(format!(
                    "candidatePool must be between {MIN_CANDIDATE_POOL} and {MAX_CANDIDATE_POOL}"
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for b in &self.blend {
            if b.component.trim().is_empty() {
                return Err("a blend weight needs a component".into());
            }
            if !names.insert(b.component.as_str()) {
                return Err(format!("the blend names {} twice", b.component));
            }
            if !(b.factor.is_finite() && (0.0..=MAX_BLEND_FACTOR).contains(&b.factor)) {
                return Err(format!(
                    "a blend factor must be between 0 and {MAX_BLEND_FACTOR} ({} has {})",
                    b.component, b.factor
                ));
            }
        }
        Ok(())
    }

    /// Whether serving is the same as without the experiment.
    pub fn is_neutral(&self) -> bool {
        self.curation
            && self.diversity.is_none()
            && self.candidate_pool.is_none()
            && self.is_neutral_blend()
    }

    /// Whether the blend factors change nothing (none, or all 1).
    pub fn is_neutral_blend(&self) -> bool {
        self.blend.iter().all(|b| b.factor == 1.0)
    }

    /// The blend factors as the ranking takes them.
    pub fn blend_scale(&self) -> Vec<(String, f32)> {
        self.blend
            .iter()
            .map(|b| (b.component.clone(), b.factor as f32))
            .collect()
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
            reason: None,
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
            ..VariantConfig::default()
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
            diversity: Some(d.clone()),
            ..VariantConfig::default()
        };
        assert!(!c.is_neutral());
        let s = c.apply(&snapshot(), &Surface::Recommendations);
        assert_eq!(s.diversity_for(&Surface::Recommendations), d);
        assert_eq!(
            s.diversity_for(&Surface::Home),
            DiversitySettings::default()
        );
        let bad = VariantConfig {
            diversity: Some(DiversitySettings {
                mmr_lambda: 2.0,
                ..DiversitySettings::default()
            }),
            ..VariantConfig::default()
        };
        assert!(bad.validate().is_err());
        // Stored as JSON; a missing field takes the control's value.
        let parsed: VariantConfig = serde_json::from_str(r#"{"curation": false}"#).unwrap();
        assert_eq!((parsed.curation, parsed.diversity), (false, None));
    }

    #[test]
    fn candidate_pools_and_blend_factors_are_checked_and_change_serving() {
        let blend = |pairs: &[(&str, f64)]| VariantConfig {
            blend: pairs
                .iter()
                .map(|(c, f)| BlendFactor {
                    component: (*c).into(),
                    factor: *f,
                })
                .collect(),
            ..VariantConfig::default()
        };
        assert!(
            blend(&[("als", 1.0)]).is_neutral(),
            "a factor of 1 changes nothing"
        );
        let b = blend(&[("als", 2.0), ("ease", 0.0)]);
        assert!(!b.is_neutral());
        assert!(b.validate().is_ok());
        assert_eq!(
            b.blend_scale(),
            vec![("als".to_owned(), 2.0), ("ease".to_owned(), 0.0)]
        );
        for bad in [
            blend(&[("als", -0.5)]),
            blend(&[("als", 10.5)]),
            blend(&[("als", f64::NAN)]),
            blend(&[("als", 1.0), ("als", 2.0)]),
            blend(&[(" ", 1.0)]),
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let pool = |p| VariantConfig {
            candidate_pool: Some(p),
            ..VariantConfig::default()
        };
        assert!(!pool(200).is_neutral());
        assert!(pool(MIN_CANDIDATE_POOL).validate().is_ok());
        assert!(pool(MAX_CANDIDATE_POOL).validate().is_ok());
        assert!(pool(MIN_CANDIDATE_POOL - 1).validate().is_err());
        assert!(pool(MAX_CANDIDATE_POOL + 1).validate().is_err());
        // Experiments stored before these fields existed read as the control's values.
        let parsed: VariantConfig = serde_json::from_str(r#"{"curation": true}"#).unwrap();
        assert!(parsed.is_neutral());
    }
}

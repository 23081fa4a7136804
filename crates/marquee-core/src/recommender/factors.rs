//! A factor model in plain arrays, for moving ALS between Marquee and other systems (`marquee
//! model export` / `import`; the files are written by [`crate::exchange`]).
//!
//! [`Snapshot::export_factors`](super::Snapshot::export_factors) takes the ALS component of a
//! snapshot's ranking blend, with the blend's recipe (components and learned weights);
//! [`Snapshot::from_factors`](super::Snapshot::from_factors) serves factors trained anywhere:
//! the ALS component is taken as given, every other part of the snapshot is fitted from the
//! training input as [`Snapshot::train`](super::Snapshot::train) would fit it, and the blend uses
//! the recipe's weights instead of searching them (factors trained on all the data would leak
//! the validation split). Without a recipe, ALS alone ranks.

use super::als::AlsParams;
use super::hybrid::HybridParams;
use serde::{Deserialize, Serialize};

/// ALS factors with their vocabularies, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorModel {
    /// External user id of each row of `user_factors`.
    pub users: Vec<i64>,
    /// External item id of each row of `item_factors`.
    pub items: Vec<i64>,
    /// Latent dimension `k`.
    pub factors: usize,
    /// `users.len() × k`.
    pub user_factors: Vec<f32>,
    /// `items.len() × k`.
    pub item_factors: Vec<f32>,
    /// What fold-in needs: `reg`, `alpha` and `negative_below` (the others are not used).
    pub als: AlsParams,
    /// How the ranking blend combines ALS with the models fitted on import; `None` = ALS alone.
    pub recipe: Option<Recipe>,
    /// Unix seconds the factors were trained (also "now" for the trending list on import).
    pub trained_at: Option<i64>,
}

/// A ranking blend's components and learned weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// The blend's parameters; exactly one component is `als`.
    pub params: HybridParams,
    /// Per activity bucket, `[intercept, w_1 … w_m]`.
    pub weights: Vec<Vec<f32>>,
}

/// How the factors met the training data on import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Users in the file and in the data.
    pub users_matched: usize,
    /// Users in the file the data does not know (skipped).
    pub users_unknown: usize,
    /// Users in the data but not in the file (folded in from their history when served).
    pub users_folded: usize,
    /// Items in the file and in the catalogue.
    pub items_matched: usize,
    /// Items in the file the catalogue does not know (skipped).
    pub items_unknown: usize,
    /// Catalogue items not in the file (a zero vector: ALS does not rank them).
    pub items_without_factors: usize,
}

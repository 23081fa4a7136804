//! External id ↔ dense index mapping, and the index newtypes used throughout the models.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Dense index of an item inside a trained model (0..n_items).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemIdx(pub u32);

/// Dense index of a user inside a trained model (0..n_users).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserIdx(pub u32);

impl ItemIdx {
    /// The index as a `usize`, for slicing.
    #[inline]
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

impl UserIdx {
    /// The index as a `usize`, for slicing.
    #[inline]
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// A one-way-growing map from external `i64` ids to dense `u32` indices.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Vec<i64>", into = "Vec<i64>")]
pub struct IdMap {
    ext: Vec<i64>,
    map: HashMap<i64, u32>,
}

impl From<Vec<i64>> for IdMap {
    fn from(ext: Vec<i64>) -> Self {
        let map = ext
            .iter()
            .enumerate()
            .map(|(i, &e)| (e, i as u32))
            .collect();
        IdMap { ext, map }
    }
}

impl From<IdMap> for Vec<i64> {
    fn from(m: IdMap) -> Self {
        m.ext
    }
}

impl IdMap {
    /// Index of an external id, if known.
    pub fn get(&self, ext: i64) -> Option<u32> {
        self.map.get(&ext).copied()
    }
    /// Index of an external id, adding it if new.
    pub fn insert(&mut self, ext: i64) -> u32 {
        if let Some(&i) = self.map.get(&ext) {
            return i;
        }
        let i = self.ext.len() as u32;
        self.ext.push(ext);
        self.map.insert(ext, i);
        i
    }
    /// External id of an index.
    pub fn external(&self, idx: u32) -> Option<i64> {
        self.ext.get(idx as usize).copied()
    }
    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ext.len()
    }
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.ext.is_empty()
    }
}

/// User and item vocabularies of one trained snapshot.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vocab {
    /// External user ids.
    pub users: IdMap,
    /// External item (movie) ids.
    pub items: IdMap,
}

impl Vocab {
    /// Dense index of a user id.
    pub fn user(&self, ext: i64) -> Option<UserIdx> {
        self.users.get(ext).map(UserIdx)
    }
    /// Dense index of an item id.
    pub fn item(&self, ext: i64) -> Option<ItemIdx> {
        self.items.get(ext).map(ItemIdx)
    }
    /// Dense index of a user id, adding it if new.
    pub fn add_user(&mut self, ext: i64) -> UserIdx {
        UserIdx(self.users.insert(ext))
    }
    /// Dense index of an item id, adding it if new.
    pub fn add_item(&mut self, ext: i64) -> ItemIdx {
        ItemIdx(self.items.insert(ext))
    }
    /// External id of a user index.
    pub fn user_id(&self, u: UserIdx) -> Option<i64> {
        self.users.external(u.0)
    }
    /// External id of an item index.
    pub fn item_id(&self, i: ItemIdx) -> Option<i64> {
        self.items.external(i.0)
    }
    /// Number of users.
    pub fn n_users(&self) -> usize {
        self.users.len()
    }
    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_serde() {
        let mut v = Vocab::default();
        assert_eq!(v.add_item(42), ItemIdx(0));
        assert_eq!(v.add_item(7), ItemIdx(1));
        assert_eq!(v.add_item(42), ItemIdx(0));
        v.add_user(-3);
        let json = serde_json::to_string(&v).unwrap();
        let back: Vocab = serde_json::from_str(&json).unwrap();
        assert_eq!(back.item(7), Some(ItemIdx(1)));
        assert_eq!(back.item_id(ItemIdx(0)), Some(42));
        assert_eq!(back.user(-3), Some(UserIdx(0)));
        assert_eq!(back.user(5), None);
    }
}

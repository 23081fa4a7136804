//! Viewing and feedback events.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use serde::{Deserialize, Serialize};

use crate::db::entities::events;

/// A new event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub user_id: i32,
    pub movie_id: i32,
    pub kind: &'static str,
    pub progress: Option<f64>,
    pub context: Option<String>,
    pub recommendation_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Records one event.
pub async fn insert<C: ConnectionTrait>(db: &C, e: NewEvent) -> Result<events::Model, DbErr> {
    events::ActiveModel {
        user_id: Set(e.user_id),
        movie_id: Set(e.movie_id),
        kind: Set(e.kind.to_owned()),
        progress: Set(e.progress),
        context: Set(e.context),
        recommendation_id: Set(e.recommendation_id),
        occurred_at: Set(e.occurred_at),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A user's most recent events, newest first.
pub async fn recent_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    limit: u64,
) -> Result<Vec<events::Model>, DbErr> {
    events::Entity::find()
        .filter(events::Column::UserId.eq(user_id))
        .order_by_desc(events::Column::OccurredAt)
        .order_by_desc(events::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// One shown item as a list's `items` JSON keeps it: `[movie, "SOURCE", position]`, and a
/// fourth element `{"collection": c, "placement": p, "rule": r}` (only the keys that apply)
/// when an editor's choice put it there.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedItem {
    pub movie_id: i32,
    pub source: std::borrow::Cow<'static, str>,
    /// From the top of the list.
    pub position: i32,
    pub origin: ItemOrigin,
}

/// The editorial choices behind a shown item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemOrigin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<i32>,
}

impl ItemOrigin {
    /// Whether no editorial choice is behind the item.
    pub fn is_empty(&self) -> bool {
        *self == ItemOrigin::default()
    }
}

impl Serialize for LoggedItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let with_origin = !self.origin.is_empty();
        let mut seq = s.serialize_seq(Some(if with_origin { 4 } else { 3 }))?;
        seq.serialize_element(&self.movie_id)?;
        seq.serialize_element(&self.source)?;
        seq.serialize_element(&self.position)?;
        if with_origin {
            seq.serialize_element(&self.origin)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for LoggedItem {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Plain(i32, String, i32),
            WithOrigin(i32, String, i32, ItemOrigin),
        }
        let (movie_id, source, position, origin) = match Raw::deserialize(d)? {
            Raw::Plain(m, s, p) => (m, s, p, ItemOrigin::default()),
            Raw::WithOrigin(m, s, p, o) => (m, s, p, o),
        };
        Ok(LoggedItem {
            movie_id,
            source: source.into(),
            position,
            origin,
        })
    }
}

/// One list of recommendations shown to a user, recorded so impressions and clicks can be
/// attributed by `recommendationId` (`<id>:<position>`).
#[derive(Debug, Clone)]
pub struct ShownList {
    pub id: String,
    pub user_id: i32,
    pub surface: &'static str,
    /// The items, in the order shown.
    pub items: Vec<LoggedItem>,
    pub shown_at: DateTime<Utc>,
    /// The experiments it was served in, with the variant of each.
    pub experiments: Vec<(i32, i32)>,
}

impl ShownList {
    /// The `recommendationId` of the item at `position`.
    pub fn item_id(list_id: &str, position: i32) -> String {
        format!("{list_id}:{position}")
    }
}

/// Records shown lists in one statement, and the experiments they were served in in another
/// (call it in a transaction to keep the two together).
pub async fn log_recommendations<C: ConnectionTrait>(
    db: &C,
    lists: &[ShownList],
) -> Result<(), DbErr> {
    use crate::db::entities::{recommendation_list_experiments, recommendation_lists};
    if lists.is_empty() {
        return Ok(());
    }
    recommendation_lists::Entity::insert_many(lists.iter().map(|l| {
        recommendation_lists::ActiveModel {
            id: Set(l.id.clone()),
            user_id: Set(l.user_id),
            surface: Set(l.surface.to_owned()),
            items: Set(serde_json::to_string(&l.items).unwrap_or_else(|_| "[]".into())),
            created_at: Set(l.shown_at),
        }
    }))
    .exec_without_returning(db)
    .await?;
    let exposures: Vec<_> = lists
        .iter()
        .flat_map(|l| {
            l.experiments.iter().map(|(experiment, variant)| {
                recommendation_list_experiments::ActiveModel {
                    list_id: Set(l.id.clone()),
                    experiment_id: Set(*experiment),
                    variant: Set(*variant),
                    created_at: Set(l.shown_at),
                }
            })
        })
        .collect();
    if !exposures.is_empty() {
        recommendation_list_experiments::Entity::insert_many(exposures)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Deletes recommendation lists older than `before`, at most `limit` rows; returns how many.
/// Deleting in slices keeps each transaction (and SQLite's write lock) short.
pub async fn prune_recommendation_logs<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<u64, DbErr> {
    use crate::db::entities::recommendation_lists;
    use sea_orm::sea_query::Query;
    let oldest = Query::select()
        .column(recommendation_lists::Column::Id)
        .from(recommendation_lists::Entity)
        .and_where(recommendation_lists::Column::CreatedAt.lt(before))
        .limit(limit)
        .to_owned();
    Ok(recommendation_lists::Entity::delete_many()
        .filter(recommendation_lists::Column::Id.in_subquery(oldest))
        .exec(db)
        .await?
        .rows_affected)
}

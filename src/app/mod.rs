//! The application layer: one service per domain. A service takes a typed command, validates
//! it into domain values (checking against the database where it must), makes its change
//! through one audited [`UnitOfWork`] and returns entity models or domain structs. Resolvers
//! decode, call a service and map; they never open a transaction.
pub mod catalogue;
pub mod compute;
pub mod curation;
pub mod curation_cache;
pub mod experiments;
pub mod feedback;
pub mod impressions;
pub mod lru;
pub mod model;
pub mod movie_rows;
pub mod privacy;
pub mod replication;
pub mod serving;
pub mod serving_cache;
pub mod staff;
mod uow;
pub mod user_rows;
pub mod user_state;
pub mod users;

pub use crate::db::repo::audit::Actor;
pub use uow::{Effect, UnitOfWork};

/// A staff member as the audit log names them.
pub fn staff_actor(id: i32, role: crate::auth::Role) -> Actor {
    Actor::Staff {
        id,
        role: role.as_str(),
    }
}

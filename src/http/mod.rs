//! HTTP plumbing beside GraphQL: health, metrics, the admin console's static files.
pub mod admin_ui;
pub mod headers;
pub mod health;
pub mod metrics;

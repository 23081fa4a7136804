//! HTTP plumbing beside GraphQL: request ids and the access log, health, metrics, the admin
//! console's static files.
pub mod access;
pub mod admin_ui;
pub mod cache;
pub mod client_addr;
pub mod headers;
pub mod health;
pub mod metrics;

//! Typed settings, layered from `config/default.toml`, `config/{MARQUEE_ENV}.toml` and
//! `MARQUEE__SECTION__KEY` environment variables, validated once at start-up.
//!
//! This is the only module that reads the environment.
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The development JWT secret shipped in `config/default.toml`; refused in production.
pub const DEV_JWT_SECRET: &str = "marquee-development-secret-do-not-use-in-production";

/// Errors found while loading or validating the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// All of Marquee's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The environment name (`local`, `test`, `production`, …).
    #[serde(default = "default_env")]
    pub env: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub graphql: GraphqlSettings,
    pub demo: DemoSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub recommender: RecommenderSettings,
    #[serde(default)]
    pub serving: ServingSettings,
}

/// Serving under load (`[serving]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServingSettings {
    /// Days recommendation logs (what was shown, for attributing clicks) are kept.
    pub log_retention_days: u32,
    /// Prune old recommendation logs every this many minutes (0 = only `marquee maintenance`).
    pub prune_interval_minutes: u64,
    /// Users whose feedback is kept in memory for serving (least recently used go first).
    pub user_cache_capacity: usize,
    /// Users whose personal ranking (up to 800 items, ~10 KB per surface) is kept between
    /// their requests until their feedback, the model or the curation changes (0: none).
    pub ranking_cache_capacity: usize,
}

impl Default for ServingSettings {
    fn default() -> Self {
        Self {
            log_retention_days: 30,
            prune_interval_minutes: 60,
            user_cache_capacity: 50_000,
            ranking_cache_capacity: 5_000,
        }
    }
}

/// Training and serving of the recommender (`[recommender]`; model hyperparameters under
/// `[recommender.model]`, each with tuned defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RecommenderSettings {
    /// Train at start-up when there is data but no stored model.
    pub train_on_start: bool,
    /// Retrain every this many minutes (0 = never on a schedule).
    pub retrain_interval_minutes: u64,
    /// Store offline metrics (80/20 holdout) with each model version.
    pub evaluate_after_training: bool,
    /// Train after `marquee import`.
    pub train_after_import: bool,
    /// Model hyperparameters.
    pub model: marquee_core::recommender::snapshot::SnapshotParams,
}

impl Default for RecommenderSettings {
    fn default() -> Self {
        Self {
            train_on_start: true,
            retrain_interval_minutes: 0,
            evaluate_after_training: true,
            train_after_import: true,
            model: Default::default(),
        }
    }
}

fn default_env() -> String {
    "local".into()
}

/// HTTP server settings.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub body_limit_bytes: usize,
    pub graphiql: bool,
    /// HTTP worker threads (0: two per core).
    #[serde(default)]
    pub workers: usize,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

/// Token settings.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: SecretString,
    pub issuer: String,
    pub audience: String,
    #[serde(default)]
    pub user_public_key_pem: String,
    #[serde(default = "default_user_alg")]
    pub user_key_algorithm: String,
    pub staff_token_ttl_minutes: i64,
}

fn default_user_alg() -> String {
    "RS256".into()
}

/// GraphQL limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GraphqlSettings {
    pub max_depth: usize,
    pub max_complexity: usize,
}

/// Demo catalogue settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoSettings {
    pub load_on_empty: bool,
    pub seed: u64,
    pub users: usize,
    pub staff_email: String,
    #[serde(default)]
    pub staff_password: String,
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: String,
    pub level: String,
}

/// Where the `config/` folder is: `MARQUEE_CONFIG_DIR`, else `./config`, else the one beside the
/// crate's sources (so `cargo run` and tests work from any working directory).
fn config_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("MARQUEE_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    let local = Path::new("config");
    if local.join("default.toml").exists() {
        return local.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

impl Settings {
    /// Loads settings for `MARQUEE_ENV` (default `local`), with environment overrides.
    pub fn load() -> Result<Self, ConfigError> {
        let env = std::env::var("MARQUEE_ENV").unwrap_or_else(|_| "local".into());
        Self::load_for(&env, true)
    }

    /// Loads settings for the named environment; `with_env_vars` controls whether
    /// `MARQUEE__…` variables are applied (tests turn them off).
    pub fn load_for(env: &str, with_env_vars: bool) -> Result<Self, ConfigError> {
        let dir = config_dir();
        // The defaults are compiled in, so the binary runs from anywhere; files beside it override.
        let mut fig = Figment::new()
            .merge(Toml::string(include_str!("../config/default.toml")))
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::file(dir.join(format!("{env}.toml"))))
            .merge(Serialized::default("env", env));
        if with_env_vars {
            fig = fig.merge(Env::prefixed("MARQUEE__").split("__").lowercase(true));
        }
        let settings: Settings = fig.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that cannot be expressed by types alone.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let secret = self.auth.jwt_secret.expose_secret();
        if self.env == "production" {
            if secret == DEV_JWT_SECRET {
                return Err(ConfigError::Invalid(
                    "auth.jwt_secret is the development secret; set MARQUEE__AUTH__JWT_SECRET"
                        .into(),
                ));
            }
            if secret.len() < 32 {
                return Err(ConfigError::Invalid(
                    "auth.jwt_secret must be at least 32 bytes in production".into(),
                ));
            }
        }
        if secret.is_empty() {
            return Err(ConfigError::Invalid(
                "auth.jwt_secret must not be empty".into(),
            ));
        }
        if !matches!(self.auth.user_key_algorithm.as_str(), "RS256" | "ES256") {
            return Err(ConfigError::Invalid(
                "auth.user_key_algorithm must be RS256 or ES256".into(),
            ));
        }
        if self.auth.staff_token_ttl_minutes <= 0 {
            return Err(ConfigError::Invalid(
                "auth.staff_token_ttl_minutes must be positive".into(),
            ));
        }
        if !matches!(self.log.format.as_str(), "pretty" | "json") {
            return Err(ConfigError::Invalid(
                "log.format must be \"pretty\" or \"json\"".into(),
            ));
        }
        if self.serving.log_retention_days == 0 {
            return Err(ConfigError::Invalid(
                "serving.log_retention_days must be at least 1".into(),
            ));
        }
        if self.graphql.max_depth == 0 || self.graphql.max_complexity == 0 {
            return Err(ConfigError::Invalid(
                "graphql limits must be positive".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Settings {
        Settings::load_for("test", false).expect("test settings load")
    }

    #[test]
    fn production_refuses_the_development_secret() {
        let mut s = base();
        s.env = "production".into();
        assert!(s.validate().is_err());
    }

    #[test]
    fn production_refuses_a_short_secret() {
        let mut s = base();
        s.env = "production".into();
        s.auth.jwt_secret = SecretString::from("too-short-secret");
        assert!(s.validate().is_err());
        s.auth.jwt_secret = SecretString::from("a-long-enough-production-secret-0123456789");
        assert!(s.validate().is_ok());
    }

    #[test]
    fn test_environment_overrides_default() {
        let s = base();
        assert_eq!(s.env, "test");
        assert!(!s.demo.load_on_empty);
    }
}

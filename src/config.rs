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

/// Which settings file applies on top of the defaults (`MARQUEE_ENV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine: the demo catalogue, GraphiQL, the development secret.
    #[default]
    Local,
    /// The integration tests.
    Test,
    /// A deployment: JSON logs, no demo, no GraphiQL, a real secret required.
    Production,
}

impl Environment {
    /// Parses a `MARQUEE_ENV` value exactly: a typo must not fall back to development
    /// settings in a deployment.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        match s {
            "local" => Ok(Self::Local),
            "test" => Ok(Self::Test),
            "production" => Ok(Self::Production),
            other => Err(ConfigError::Invalid(format!(
                "MARQUEE_ENV is {other:?}; it must be exactly one of \"local\", \"test\", \"production\""
            ))),
        }
    }

    /// The name, as in `config/{name}.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    /// The environment's settings file as shipped, compiled into the binary so that it applies
    /// wherever the binary runs; a file of the same name in the config folder overrides it.
    fn builtin(self) -> &'static str {
        match self {
            Self::Local => include_str!("../config/local.toml"),
            Self::Test => include_str!("../config/test.toml"),
            Self::Production => include_str!("../config/production.toml"),
        }
    }
}

/// All of Marquee's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The environment (`MARQUEE_ENV`).
    #[serde(default)]
    pub env: Environment,
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
    #[serde(default)]
    pub replication: ReplicationSettings,
}

/// Several replicas on one PostgreSQL database (`[replication]`; nothing to do on SQLite).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ReplicationSettings {
    /// Besides listening for other replicas' changes, check this often for a newer model
    /// version and for erasures (catches what a lost notice would miss).
    pub poll_interval_ms: u64,
}

impl Default for ReplicationSettings {
    fn default() -> Self {
        Self {
            poll_interval_ms: 2000,
        }
    }
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
    /// Check running experiments against their end and their guardrails every this many
    /// minutes (0 = never: they run until stopped).
    pub experiment_check_minutes: u64,
}

impl Default for ServingSettings {
    fn default() -> Self {
        Self {
            log_retention_days: 30,
            prune_interval_minutes: 60,
            user_cache_capacity: 50_000,
            ranking_cache_capacity: 5_000,
            experiment_check_minutes: 5,
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
    /// Those metrics use the ratings of at most this many users (a fixed sample), so they cost
    /// the same at any scale.
    pub evaluation_max_users: usize,
    /// Inactive model versions that keep their stored parameters (older ones keep metrics only).
    pub keep_previous_versions: u64,
    /// Least time between two trainings started on demand (`trainModels`), in minutes.
    pub min_minutes_between_trainings: u64,
    /// Model hyperparameters.
    pub model: marquee_core::recommender::snapshot::SnapshotParams,
    /// The hyperparameter search a training may run first (`[recommender.tuning]`).
    pub tuning: TuningSettings,
}

/// Hyperparameter search inside training (`[recommender.tuning]`): the ranking blend's
/// components, then the blend, searched on a validation split of the training data within a
/// time box (as `marquee tune` does); the winners are served and recorded in the model version.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TuningSettings {
    /// Search before every training.
    pub enabled: bool,
    /// Wall-clock budget of the search, in seconds (training takes this much longer at most,
    /// plus the trial running when it ends).
    pub budget_seconds: f64,
    /// How the validation split is carved from the training data.
    pub validation: marquee_core::eval::Protocol,
    /// Coordinate-descent rounds at most.
    pub rounds: usize,
    /// Users whose held-out interactions score the trials, at most.
    pub max_validation_users: usize,
}

impl Default for TuningSettings {
    fn default() -> Self {
        let core = marquee_core::eval::TuneConfig::default();
        Self {
            enabled: false,
            budget_seconds: 300.0,
            validation: core.validation,
            rounds: 2,
            max_validation_users: core.max_validation_users,
        }
    }
}

impl TuningSettings {
    /// The search's configuration, when enabled.
    pub fn config(&self) -> Option<marquee_core::eval::TuneConfig> {
        self.enabled.then(|| marquee_core::eval::TuneConfig {
            validation: self.validation,
            budget_seconds: self.budget_seconds.max(0.0),
            rounds: self.rounds.max(1),
            max_validation_users: self.max_validation_users.max(1),
            ..Default::default()
        })
    }
}

impl Default for RecommenderSettings {
    fn default() -> Self {
        Self {
            train_on_start: true,
            retrain_interval_minutes: 0,
            evaluate_after_training: true,
            evaluation_max_users: 20_000,
            keep_previous_versions: 2,
            min_minutes_between_trainings: 10,
            model: Default::default(),
            tuning: Default::default(),
        }
    }
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
    /// Origins of browser apps allowed to call `/graphql` (CORS); empty: same origin only.
    #[serde(default)]
    pub cors_allowed_origins: Vec<String>,
    /// Proxies (addresses or networks) whose `X-Forwarded-For` names the client; empty: the
    /// TCP peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    /// How long a request waits for a pooled connection, and how long opening one may take,
    /// before it fails as UNAVAILABLE (milliseconds).
    #[serde(default = "default_acquire_timeout_ms")]
    pub acquire_timeout_ms: u64,
    /// `/readyz` reports not ready when the SQLite file's disk has less free space (MB).
    #[serde(default = "default_min_free_disk_mb")]
    pub min_free_disk_mb: u64,
}

fn default_acquire_timeout_ms() -> u64 {
    3000
}

fn default_min_free_disk_mb() -> u64 {
    100
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
    /// Sign-in attempts a minute for one email, and from one client address.
    pub login_attempts_per_minute_per_account: u32,
    pub login_attempts_per_minute_per_address: u32,
    /// Accept HS256 end-user tokens even when an identity-provider key is configured.
    #[serde(default)]
    pub allow_hs256_user_tokens: bool,
}

fn default_user_alg() -> String {
    "RS256".into()
}

/// GraphQL limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GraphqlSettings {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Fields in one operation once fragments are expanded.
    pub max_fields: u64,
    /// Aliased fields in one operation.
    pub max_aliases: u64,
    /// Operations in one batched POST.
    pub max_batch: usize,
    /// Time budget of one HTTP request, in milliseconds.
    pub request_timeout_ms: u64,
    /// Answer introspection queries (`__schema`, `__type`).
    pub introspection: bool,
    /// Automatic persisted queries kept per process.
    pub persisted_queries: usize,
    /// How long shared caches may keep a GET query's answer asked without a token (0: they
    /// must revalidate).
    pub get_max_age_seconds: u64,
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
    /// OTLP/HTTP collector that receives traces (`http://collector:4318`); empty: none. Needs a
    /// binary built with the `otel` feature.
    #[serde(default)]
    pub otlp_endpoint: String,
}

/// Where operators' settings files are: `MARQUEE_CONFIG_DIR`, else `./config`. The shipped
/// files are compiled in; files found here override them.
fn config_dir() -> PathBuf {
    match std::env::var("MARQUEE_CONFIG_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => Path::new("config").to_path_buf(),
    }
}

impl Settings {
    /// Loads settings for `MARQUEE_ENV` (default `local`; any other value than `local`, `test`
    /// or `production` is refused), with environment overrides.
    pub fn load() -> Result<Self, ConfigError> {
        let env = match std::env::var("MARQUEE_ENV") {
            Ok(v) => v,
            Err(std::env::VarError::NotPresent) => "local".into(),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(ConfigError::Invalid(
                    "MARQUEE_ENV is not valid UTF-8".into(),
                ))
            }
        };
        Self::load_for(&env, true)
    }

    /// Loads settings for the named environment; `with_env_vars` controls whether
    /// `MARQUEE__…` variables are applied (tests turn them off).
    pub fn load_for(env: &str, with_env_vars: bool) -> Result<Self, ConfigError> {
        let env = Environment::parse(env)?;
        let dir = config_dir();
        // The shipped files are compiled in, so the binary behaves the same from anywhere;
        // files in the config folder override them.
        let mut fig = Figment::new()
            .merge(Toml::string(include_str!("../config/default.toml")))
            .merge(Toml::string(env.builtin()))
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::file(dir.join(format!("{}.toml", env.as_str()))))
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
        if self.env == Environment::Production {
            if self.demo.load_on_empty {
                return Err(ConfigError::Invalid(
                    "demo.load_on_empty must be false in production: the demo creates an admin account".into(),
                ));
            }
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
        let otlp = self.log.otlp_endpoint.trim();
        if !otlp.is_empty() {
            if !cfg!(feature = "otel") {
                return Err(ConfigError::Invalid(
                    "log.otlp_endpoint is set but this binary was built without the `otel` feature (cargo build --release --features otel)".into(),
                ));
            }
            if !(otlp.starts_with("http://") || otlp.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "log.otlp_endpoint: {otlp:?} is not an http(s) URL"
                )));
            }
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
        crate::http::client_addr::TrustedProxies::parse(&self.server.trusted_proxies)
            .map_err(ConfigError::Invalid)?;
        for o in &self.server.cors_allowed_origins {
            let ok = o == "*"
                || ((o.starts_with("https://") || o.starts_with("http://"))
                    && !o
                        .trim_end_matches('/')
                        .contains(|c: char| c.is_whitespace())
                    && o.splitn(4, '/').nth(3).is_none());
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "server.cors_allowed_origins: {o:?} is not an origin (scheme://host[:port], or \"*\")"
                )));
            }
        }
        let g = &self.graphql;
        if g.max_depth == 0
            || g.max_complexity == 0
            || g.max_fields == 0
            || g.max_batch == 0
            || g.request_timeout_ms == 0
        {
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
        s.env = Environment::Production;
        assert!(s.validate().is_err());
    }

    #[test]
    fn production_refuses_a_short_secret() {
        let mut s = base();
        s.env = Environment::Production;
        s.auth.jwt_secret = SecretString::from("too-short-secret");
        assert!(s.validate().is_err());
        s.auth.jwt_secret = SecretString::from("a-long-enough-production-secret-0123456789");
        assert!(s.validate().is_ok());
    }

    #[test]
    fn an_unknown_environment_is_refused_not_treated_as_development() {
        for typo in ["Production", "prod", "production ", ""] {
            assert!(Settings::load_for(typo, false).is_err(), "{typo:?}");
        }
    }

    #[test]
    fn production_settings_apply_without_any_file_beside_the_binary() {
        // The shipped production file is compiled in: no demo, no GraphiQL, JSON logs.
        let s = Settings::load_for("production", false);
        // The development secret is refused, so load and validate separately.
        let err = s.unwrap_err().to_string();
        assert!(err.contains("jwt_secret"), "{err}");
        let fig = Figment::new()
            .merge(Toml::string(include_str!("../config/default.toml")))
            .merge(Toml::string(Environment::Production.builtin()));
        let p: Settings = fig.extract().unwrap();
        assert!(!p.demo.load_on_empty);
        assert!(!p.server.graphiql);
        assert!(!p.graphql.introspection);
        assert_eq!(p.log.format, "json");
    }

    #[test]
    fn production_refuses_the_demo() {
        let mut s = base();
        s.env = Environment::Production;
        s.auth.jwt_secret = SecretString::from("a-long-enough-production-secret-0123456789");
        s.demo.load_on_empty = true;
        assert!(s.validate().is_err());
    }

    #[test]
    fn test_environment_overrides_default() {
        let s = base();
        assert_eq!(s.env, Environment::Test);
        assert!(!s.demo.load_on_empty);
    }
}

//! The `marquee` command line.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// What `--help` says about settings from the environment.
const ENVIRONMENT: &str = "\
Environment:
  MARQUEE_ENV            local (default), test or production: which config/{ENV}.toml applies
  MARQUEE_CONFIG_DIR     folder of settings files overriding the built-in ones (default ./config)
  MARQUEE__SECTION__KEY  any setting, e.g. MARQUEE__DATABASE__URL=postgres://…,
                         MARQUEE__SERVER__BIND=0.0.0.0:8080, MARQUEE__AUTH__JWT_SECRET=…
  RUST_LOG               log filter, overriding log.level (e.g. info,marquee::access=warn)

Commands that use the database (serve, migrate, import, staff, train, model, maintenance) take --database-url before the command: marquee --database-url URL serve";

/// Marquee: a movie recommendation backend with a GraphQL API and an admin console.
#[derive(Parser, Debug)]
#[command(name = "marquee", version, about, long_about = None, after_help = ENVIRONMENT)]
pub struct Cli {
    /// Database URL (sqlite://FILE or postgres://…) for the commands that use one; overrides
    /// config and MARQUEE__DATABASE__URL.
    #[arg(long)]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate the database, load the demo catalogue if it is empty, and serve HTTP.
    Serve {
        /// Address to listen on (default from config: 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Do not load the demo catalogue even when the database is empty.
        #[arg(long)]
        no_demo: bool,
    },
    /// Apply, roll back or list database migrations.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
    },
    /// Import a dataset.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    ExportSchema {
        /// Write it to this file (replaced whole, only once the schema is built) instead of
        /// standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Manage staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Print an end-user JWT signed with the configured key, for trying the API.
    Token(TokenArgs),
    /// Train every model from the database, store it as the active model version.
    Train,
    /// Move ALS factors in and out (NumPy `.npy` files and a JSON manifest; docs/scaling.md).
    #[command(subcommand)]
    Model(ModelCommand),
    /// Prune what is kept only for a while: recommendation logs older than
    /// `serving.log_retention_days` (the server also does this every
    /// `serving.prune_interval_minutes`).
    Maintenance,
    /// Evaluate models offline on a MovieLens folder (no database), printing a table.
    Evaluate(EvaluateArgs),
    /// Search models' hyperparameters on a validation split carved from a MovieLens folder's
    /// training part (no database), then compare given and tuned parameters on its test part.
    Tune(TuneArgs),
    /// Benchmarks that write a table.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `marquee bench …`.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// The serving pipeline on a MovieLens folder: NDCG@10, diversity, calibration, coverage
    /// and exposure with and without the diversity rules, and home-feed time per user.
    Serving(BenchServingArgs),
    /// Write seeded synthetic ratings in the ml-25m CSV layout (for `bench/scale.sh`).
    Synth(BenchSynthArgs),
}

/// `marquee bench synth` arguments.
#[derive(Args, Debug)]
pub struct BenchSynthArgs {
    /// About how many ratings: a number, or with a K or M suffix (`1M`, `25M`).
    #[arg(long, value_parser = parse_count)]
    pub ratings: usize,
    /// Folder to write `movies.csv` and `ratings.csv` to (created; keep it outside the repo).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed: the same seed and size give the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// `25M`, `500k`, `1000000`.
pub fn parse_count(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (digits, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1_000),
        Some('m' | 'M') => (&t[..t.len() - 1], 1_000_000),
        _ => (t, 1),
    };
    let n: f64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a count like 1000000, 500k or 25M"))?;
    if !(n.is_finite() && n >= 1.0) {
        return Err(format!("{s:?} must be at least 1"));
    }
    Ok((n * scale as f64).round() as usize)
}

/// `marquee bench serving` arguments.
#[derive(Args, Debug)]
pub struct BenchServingArgs {
    /// A MovieLens folder (ml-100k, ml-latest-small, …).
    #[arg(long)]
    pub dataset: PathBuf,
    /// Seed of the holdout split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BenchFormat::Markdown)]
    pub format: BenchFormat,
}

/// Output formats of `bench serving`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchFormat {
    /// Markdown tables.
    Markdown,
    /// The report as JSON.
    Json,
}

/// Output formats of `evaluate`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// A plain-text table.
    Table,
    /// JSON: {"dataset", "protocol", "models": [{"name", "rmse", "ndcg@10", …}]}.
    Json,
    /// A Markdown table.
    Markdown,
    /// CSV: one row per model, the columns of the JSON's models plus dataset, protocol, seed, k.
    Csv,
}

/// `marquee evaluate` arguments.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// A MovieLens folder (ml-100k, ml-1m, ml-latest-small, …).
    #[arg(long)]
    pub dataset: PathBuf,
    /// kfold:K, holdout:F, temporal:F or leave-last:N.
    #[arg(long, default_value = "kfold:5")]
    pub protocol: String,
    /// Comma-separated models: baseline, mf, svdpp, knn, knn_rank, user_knn, als, popularity,
    /// trending, demographic, content, ease, hybrid, hybrid_rank.
    #[arg(
        long,
        default_value = "baseline,mf,svdpp,knn,hybrid,als,popularity,hybrid_rank"
    )]
    pub models: String,
    /// Seed of the split (and of the models).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Cut-off of the top-N metrics.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Also write the exact train/test splits here, so other tools can run on the same folds.
    #[arg(long)]
    pub write_splits: Option<PathBuf>,
    /// Change a model's hyperparameter: `MODEL.KEY=VALUE`, e.g. `--set als.reg=20` (the value
    /// is read as JSON when it parses, else as a string). Repeatable.
    #[arg(long = "set", value_name = "MODEL.KEY=VALUE")]
    pub set: Vec<String>,
    /// Hyperparameters as JSON by model name, e.g. `{"als": {"factors": 128, "reg": 20}}`
    /// (applied before `--set`).
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
    /// Also write every evaluated user's top-N metrics per model and fold to this CSV file
    /// (`model,fold,user,ndcg@k,…`), for significance tests.
    #[arg(long, value_name = "FILE")]
    pub per_user: Option<PathBuf>,
    /// Skip RMSE/MAE.
    #[arg(long)]
    pub no_rating: bool,
    /// Skip the top-N metrics.
    #[arg(long)]
    pub no_ranking: bool,
}

/// `marquee tune` arguments.
#[derive(Args, Debug)]
pub struct TuneArgs {
    /// A MovieLens folder (ml-100k, ml-1m, ml-latest-small, …).
    #[arg(long)]
    pub dataset: PathBuf,
    /// The test split, as `evaluate` makes it: holdout:F, temporal:F or leave-last:N. The
    /// search sees its training part only.
    #[arg(long, default_value = "holdout:0.2")]
    pub protocol: String,
    /// How the validation split is carved from the training part (default: as --protocol).
    #[arg(long)]
    pub validation: Option<String>,
    /// Comma-separated models to tune (a blend's components are tuned first, then the blend
    /// with them): ease, als, knn_rank, user_knn, baseline, mf, svdpp, knn, hybrid,
    /// hybrid_rank; models without a search space (popularity, content…) are scored as given.
    #[arg(long, default_value = "ease,als,knn_rank")]
    pub models: String,
    /// Wall-clock budget of the whole search, in seconds (each model gets an equal share of
    /// what is left when its turn comes).
    #[arg(long, default_value_t = 600.0)]
    pub budget: f64,
    /// Coordinate-descent rounds at most.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Seed of the splits and the models.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Cut-off of NDCG.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Starting parameters: `MODEL.KEY=VALUE`, as for `evaluate`. Repeatable.
    #[arg(long = "set", value_name = "MODEL.KEY=VALUE")]
    pub set: Vec<String>,
    /// Starting parameters as JSON by model name (applied before `--set`).
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
    /// Output format (csv: every trial, one row each).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Also write every trial to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub trials: Option<PathBuf>,
    /// Skip the comparison on the test part.
    #[arg(long)]
    pub no_test: bool,
    /// Write the test split and, under `validation/`, the validation split, so other tools can
    /// be tuned and tested on exactly the same interactions.
    #[arg(long)]
    pub write_splits: Option<PathBuf>,
}

/// Migration actions.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration.
    Down,
    /// List applied and pending migrations.
    Status,
}

/// `marquee model …`.
#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Write a model version's ALS factors, vocabularies and blend recipe to a folder
    /// (people erased since are left out).
    Export {
        /// The folder to write (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// The model version (default: the active one).
        #[arg(long)]
        version: Option<i32>,
    },
    /// Serve factors from a folder (exported, or trained elsewhere): fits every other model
    /// from the database as `train` does, stores the result as the active model version.
    Import {
        /// The folder holding manifest.json and the .npy files.
        dir: PathBuf,
    },
}

/// Import subcommands.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a MovieLens folder (ml-100k, ml-1m, ml-latest-small, ml-20m, ml-25m), detected
    /// from its files. Idempotent; all or nothing.
    Movielens {
        /// The folder holding u.data / ratings.dat / ratings.csv and their companions.
        dir: PathBuf,
        /// The name its ids are kept under (users become `<source>:<id>`, so two datasets
        /// never collide); default: the folder's name, e.g. `ml-100k`. Re-importing under the
        /// same name is idempotent.
        #[arg(long)]
        source: Option<String>,
    },
}

/// Staff subcommands.
#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Add a staff account.
    Add {
        /// Email address (the login name).
        #[arg(long)]
        email: String,
        /// The account's role.
        #[arg(long, value_enum)]
        role: StaffRole,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a staff account's password (e.g. the demo admin's, printed only at the first
    /// start); its existing sessions end.
    SetPassword {
        /// Email address of the account.
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Staff roles.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRole {
    /// Everything, staff accounts included.
    Admin,
    /// Catalogue, curation and experiments.
    Editor,
    /// Users' data, privacy requests and the audit log.
    Compliance,
}

impl Command {
    /// Whether the command reads or writes the database (`--database-url` applies).
    pub fn uses_database(&self) -> bool {
        !matches!(
            self,
            Command::ExportSchema { .. }
                | Command::Evaluate(_)
                | Command::Tune(_)
                | Command::Bench(_)
                | Command::Token(_)
        )
    }
}

/// `marquee token` arguments.
#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The user's external id (a MovieLens user id, or demo-0001 for the demo).
    #[arg(long)]
    pub user: String,
    /// Lifetime: a number with s, m, h or d (e.g. 1h, 30m, 7d).
    #[arg(long, default_value = "1h")]
    pub ttl: String,
}

/// Parses `90s`, `30m`, `1h`, `7d` into a duration.
pub fn parse_ttl(s: &str) -> Result<chrono::Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("invalid ttl {s:?}: expected e.g. 30m, 1h, 7d"))?;
    let d = match unit {
        "s" => chrono::Duration::seconds(n),
        "m" => chrono::Duration::minutes(n),
        "h" | "" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => return Err(format!("invalid ttl unit in {s:?}: use s, m, h or d")),
    };
    if n <= 0 || d > chrono::Duration::days(366) {
        return Err("ttl must be positive and at most 366d".into());
    }
    Ok(d)
}

/// Applies `--params` (JSON by model name) and then every `--set MODEL.KEY=VALUE` to the specs
/// of the models they name; a model or setting that names nothing is an error.
pub fn apply_params(
    models: &mut [marquee_core::recommender::hybrid::ComponentSpec],
    params: Option<&str>,
    set: &[String],
) -> Result<(), String> {
    use serde_json::{Map, Value};
    let mut changes: Vec<(String, String, Value)> = vec![];
    if let Some(text) = params {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("--params: {e}"))?;
        let Value::Object(by_model) = v else {
            return Err("--params must be a JSON object by model name".into());
        };
        for (model, p) in by_model {
            let Value::Object(p) = p else {
                return Err(format!("--params: {model} must map to an object"));
            };
            changes.extend(p.into_iter().map(|(k, v)| (model.clone(), k, v)));
        }
    }
    for s in set {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| format!("--set {s:?}: expected MODEL.KEY=VALUE"))?;
        let (model, field) = key
            .split_once('.')
            .filter(|(m, f)| !m.is_empty() && !f.is_empty())
            .ok_or_else(|| format!("--set {s:?}: expected MODEL.KEY=VALUE"))?;
        let value =
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        changes.push((model.to_string(), field.to_string(), value));
    }
    for (model, key, value) in changes {
        let mut hit = false;
        for spec in models.iter_mut().filter(|s| s.name == model) {
            if !spec.params.is_object() {
                spec.params = Value::Object(Map::new());
            }
            spec.params[key.as_str()] = value.clone();
            hit = true;
        }
        if !hit {
            return Err(format!(
                "{model}.{key}: {model} is not among the models evaluated (--models)"
            ));
        }
    }
    Ok(())
}

/// The evaluation report as CSV: a header, then one row per model with the values of
/// [`EvalReport::to_json`](marquee_core::eval::EvalReport::to_json) (empty where a model has
/// none, e.g. RMSE of a ranking-only model).
pub fn csv_report(
    r: &marquee_core::eval::EvalReport,
    dataset: &str,
    protocol: &str,
) -> anyhow::Result<String> {
    let k = r.k;
    let mut columns: Vec<String> = ["rmse", "rmse_sd", "mae"].map(String::from).to_vec();
    for m in ["precision", "recall", "ndcg"] {
        columns.push(format!("{m}@{k}"));
    }
    columns.push(format!("ndcg@{k}_sd"));
    for m in ["map", "mrr", "hit_rate"] {
        columns.push(format!("{m}@{k}"));
    }
    columns.extend(
        [
            "coverage",
            "novelty",
            "intra_list_diversity",
            "exposure_gini",
            "mean_popularity",
            "fit_seconds",
            "predict_seconds",
        ]
        .map(String::from),
    );
    let flat = r.to_json(dataset, protocol);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["dataset", "protocol", "seed", "k", "model"];
    header.extend(columns.iter().map(String::as_str));
    w.write_record(&header)?;
    for m in flat["models"].as_array().into_iter().flatten() {
        let mut row = vec![
            dataset.to_string(),
            protocol.to_string(),
            r.seed.to_string(),
            k.to_string(),
            m["name"].as_str().unwrap_or_default().to_string(),
        ];
        row.extend(columns.iter().map(|c| match &m[c.as_str()] {
            serde_json::Value::Number(n) => n.to_string(),
            _ => String::new(),
        }));
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn hyperparameters_are_set_by_model_and_typos_are_refused() {
        use marquee_core::recommender::hybrid::ComponentSpec;
        use serde_json::json;
        let mut models = vec![ComponentSpec::new("als"), ComponentSpec::new("mf")];
        apply_params(
            &mut models,
            Some(r#"{"als": {"factors": 32, "reg": 5}}"#),
            &["als.reg=20".into(), "mf.epochs=3".into()],
        )
        .unwrap();
        assert_eq!(models[0].params, json!({"factors": 32, "reg": 20}));
        assert_eq!(models[1].params, json!({"epochs": 3}));
        assert!(models[0].resolved_params().is_ok());
        // A model not evaluated, a malformed setting, a parameter the model lacks.
        let err = apply_params(&mut models, None, &["svdpp.epochs=3".into()]).unwrap_err();
        assert!(err.contains("svdpp is not among the models"), "{err}");
        assert!(apply_params(&mut models, None, &["als=3".into()]).is_err());
        assert!(apply_params(&mut models, Some("[1]"), &[]).is_err());
        apply_params(&mut models, None, &["als.regularisation=3".into()]).unwrap();
        let err = models[0].resolved_params().unwrap_err().to_string();
        assert!(
            err.contains("als has no parameter \"regularisation\""),
            "{err}"
        );
        assert!(err.contains("reg"), "{err}");
    }

    #[test]
    fn counts_parse() {
        assert_eq!(parse_count("25M"), Ok(25_000_000));
        assert_eq!(parse_count("1.5m"), Ok(1_500_000));
        assert_eq!(parse_count("500k"), Ok(500_000));
        assert_eq!(parse_count("1234"), Ok(1234));
        assert!(parse_count("0").is_err());
        assert!(parse_count("lots").is_err());
    }

    #[test]
    fn ttls_parse() {
        assert_eq!(parse_ttl("1h").unwrap(), chrono::Duration::hours(1));
        assert_eq!(parse_ttl("30m").unwrap(), chrono::Duration::minutes(30));
        assert_eq!(parse_ttl("7d").unwrap(), chrono::Duration::days(7));
        assert!(parse_ttl("abc").is_err());
        assert!(parse_ttl("0h").is_err());
        assert!(parse_ttl("5y").is_err());
    }
}

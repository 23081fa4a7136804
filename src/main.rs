use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use migration::{Migrator, MigratorTrait};

use marquee::auth::{password, JwtKeys, Role};
use marquee::cli::{
    parse_ttl, BenchCommand, BenchFormat, BenchServingArgs, BenchSynthArgs, Cli, Command,
    EvaluateArgs, ImportCommand, MigrateAction, ModelCommand, ReportFormat, StaffCommand,
    StaffRole, TuneArgs,
};
use marquee::config::Settings;
use marquee::startup::{build_state, Application};
use marquee::{db, graphql, telemetry};
use marquee_core::eval::{self, EvalConfig};
use marquee_core::recommender::hybrid::ComponentSpec;
use marquee_core::recommender::Progress;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match start(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line each, a cause whose text its parent already holds left
/// out (database errors repeat their source in their own message).
fn describe(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    let mut last = out.clone();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !last.contains(&text) {
            out.push_str("\n  caused by: ");
            out.push_str(&text);
        }
        last = text;
    }
    out
}

fn start(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load()?;
    if let Some(url) = &cli.database_url {
        if !cli.command.uses_database() {
            bail!("--database-url does not apply: this command reads no database");
        }
        settings.database.url = url.clone();
    }
    // Kept until the runtime is done so the last spans are exported.
    let _telemetry = telemetry::init(&settings.log);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli.command, settings))
}

/// A password from standard input (one line) or, on a terminal, typed twice.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let pw = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Again: ")?;
        if a != b {
            bail!("the passwords differ");
        }
        a
    };
    let min = marquee::graphql::admin::MIN_PASSWORD_CHARS;
    if pw.chars().count() < min {
        bail!("the password must be at least {min} characters");
    }
    Ok(pw)
}

async fn run(command: Command, mut settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { bind, no_demo } => {
            if let Some(b) = bind {
                settings.server.bind = b;
            }
            if no_demo {
                settings.demo.load_on_empty = false;
            }
            // The port first: a wrong address fails before the database is touched, and
            // orchestrators see the process alive (`/healthz`) while it loads (`/readyz`).
            let listener = marquee::startup::bind(&settings.server.bind)?;
            let state = marquee::startup::connect_state(settings).await?;
            let app = Application::from_listener(listener, state)?;
            tracing::info!(
                port = app.port(),
                "serving: GraphQL at /graphql, GraphiQL at /graphiql, console at /admin"
            );
            eprintln!(
                "Marquee is serving on http://{}",
                app.state()
                    .settings
                    .server
                    .bind
                    .replace(":0", &format!(":{}", app.port()))
            );
            let state = app.state();
            let handle = app.handle();
            let server = app.run_until_stopped();
            tokio::pin!(server);
            let starting = marquee::startup::finish_start(state.clone());
            tokio::select! {
                stopped = &mut server => stopped?,
                started = starting => match started {
                    Ok(()) => server.await?,
                    Err(e) => {
                        handle.stop(true).await;
                        return Err(e.context("starting"));
                    }
                },
            }
            // What was shown in the last moments is written before the process ends.
            state.impressions.flush().await;
        }
        Command::Migrate { action } => {
            let (conn, _) = db::connect(&settings.database).await?;
            match action {
                MigrateAction::Up => {
                    Migrator::up(&conn, None).await?;
                    println!("migrations applied");
                }
                MigrateAction::Down => {
                    Migrator::down(&conn, Some(1)).await?;
                    println!("rolled back one migration");
                }
                MigrateAction::Status => {
                    for m in Migrator::get_applied_migrations(&conn).await? {
                        println!("applied  {}", m.name());
                    }
                    for m in Migrator::get_pending_migrations(&conn).await? {
                        println!("pending  {}", m.name());
                    }
                }
            }
        }
        Command::Import(ImportCommand::Movielens { dir, source }) => {
            let source = source.unwrap_or_else(|| db::import::default_source(&dir));
            let state = build_state(settings).await?;
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} importing [{bar:40}] {pos}/{len} rows ({eta})",
                )?
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            let report = db::import::import_movielens(&state.db, &dir, &source, Some(&bar))
                .await
                .with_context(|| format!("importing {} (nothing was written)", dir.display()))?;
            bar.finish_and_clear();
            println!(
                "Imported {} from {} as source \"{source}\" (users are \"{source}:<id>\") in {:.1}s:",
                report.format,
                dir.display(),
                report.seconds
            );
            println!(
                "  movies   {:>8} in file, {:>8} added",
                report.movies_in_file, report.movies_added
            );
            println!(
                "  users    {:>8} in file, {:>8} added",
                report.users_in_file, report.users_added
            );
            println!(
                "  ratings  {:>8} in file, {:>8} written",
                report.ratings_in_file, report.ratings_written
            );
            println!(
                "  tags     {:>8} in file, {:>8} written",
                report.tags_in_file, report.tags_written
            );
        }
        Command::ExportSchema { out } => {
            let sdl = graphql::sdl(&graphql::build_schema(&settings.graphql));
            match out {
                None => print!("{sdl}"),
                Some(path) => {
                    // Written beside the target, then renamed over it: never left half-written.
                    let tmp = path.with_extension("graphql.tmp");
                    std::fs::write(&tmp, &sdl)
                        .with_context(|| format!("writing {}", tmp.display()))?;
                    std::fs::rename(&tmp, &path)
                        .with_context(|| format!("replacing {}", path.display()))?;
                    println!("wrote {} ({} lines)", path.display(), sdl.lines().count());
                }
            }
        }
        Command::Staff(StaffCommand::Add {
            email,
            role,
            password_stdin,
        }) => {
            let role = match role {
                StaffRole::Admin => Role::Admin,
                StaffRole::Editor => Role::Editor,
                StaffRole::Compliance => Role::Compliance,
            };
            if !email.contains('@') || email.len() > 254 {
                bail!("{email:?} is not an email address");
            }
            let pw = read_password(password_stdin)?;
            let state = build_state(settings).await?;
            if db::repo::staff::find_by_email(&state.db, &email)
                .await?
                .is_some()
            {
                bail!("a staff account for {email} exists already");
            }
            let s = db::repo::staff::create(&state.db, &email, password::hash(&pw)?, role.as_str())
                .await?;
            println!("added {} as {}", s.email, s.role);
        }
        Command::Staff(StaffCommand::SetPassword {
            email,
            password_stdin,
        }) => {
            let pw = read_password(password_stdin)?;
            let state = build_state(settings).await?;
            let Some(s) = db::repo::staff::find_by_email(&state.db, &email).await? else {
                bail!("there is no staff account for {email}");
            };
            let patch = marquee::app::staff::StaffPatch {
                role: None,
                disabled: None,
                password: Some(pw),
            };
            marquee::app::staff::update(&state, db::repo::audit::Actor::System, s.id, patch)
                .await
                .map_err(|e| anyhow::anyhow!(e.public_message()))?;
            println!("set the password of {email}; its sessions have ended");
        }
        Command::Train => {
            let state = build_state(settings).await?;
            train(&state).await?;
        }
        Command::Model(ModelCommand::Export { out, version }) => {
            let (db, _) = db::connect(&settings.database).await?;
            let t = std::time::Instant::now();
            let (id, factors) = marquee::app::model::export_factors(&db, version).await?;
            let source = format!("marquee {} model version {id}", env!("CARGO_PKG_VERSION"));
            let (users, items, k) = (factors.users.len(), factors.items.len(), factors.factors);
            let dir = out.clone();
            tokio::task::spawn_blocking(move || {
                marquee_core::exchange::write(&dir, &factors, &source)
            })
            .await??;
            println!("| model version | users | items | factors | folder | seconds |");
            println!("|---|---|---|---|---|---|");
            println!(
                "| {id} | {users} | {items} | {k} | {} | {:.2} |",
                out.display(),
                t.elapsed().as_secs_f64()
            );
        }
        Command::Model(ModelCommand::Import { dir }) => {
            let factors =
                tokio::task::spawn_blocking(move || marquee_core::exchange::read(&dir)).await??;
            let state = build_state(settings).await?;
            let bar = stage_bar()?;
            let o = state
                .recommender
                .import_factors(&state.db, factors, &|p| show(&bar, p))
                .await?;
            bar.finish_and_clear();
            let r = o.imported.unwrap_or_default();
            println!("| | matched | skipped (unknown here) | without a row |");
            println!("|---|---|---|---|");
            println!(
                "| users | {} | {} | {} (folded in from their history) |",
                r.users_matched, r.users_unknown, r.users_folded
            );
            println!(
                "| movies | {} | {} | {} (not ranked by ALS) |",
                r.items_matched, r.items_unknown, r.items_without_factors
            );
            println!(
                "Stored model version {} as the active one ({} interactions; load {:.1}s, fit {:.1}s)",
                o.version_id, o.interactions, o.load_seconds, o.train_seconds
            );
        }
        Command::Maintenance => {
            let state = build_state(settings).await?;
            let days = state.settings.serving.log_retention_days;
            let t = std::time::Instant::now();
            let n = marquee::app::impressions::prune(
                &state.db,
                chrono::Duration::days(days as i64),
                chrono::Utc::now(),
            )
            .await?;
            println!("| step | rows | seconds |\n|---|---|---|");
            println!(
                "| recommendation logs older than {days} days deleted | {n} | {:.2} |",
                t.elapsed().as_secs_f64()
            );
        }
        Command::Evaluate(args) => evaluate(args).await?,
        Command::Tune(args) => tune(args).await?,
        Command::Bench(BenchCommand::Serving(args)) => bench_serving(args).await?,
        Command::Bench(BenchCommand::Synth(args)) => bench_synth(args)?,
        Command::Token(args) => {
            let ttl = parse_ttl(&args.ttl).map_err(anyhow::Error::msg)?;
            let keys = JwtKeys::from_settings(&settings.auth)?;
            let (token, _) = keys.issue_user(&args.user, ttl)?;
            println!("{token}");
        }
    }
    Ok(())
}

fn stage_bar() -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {msg:<24} ({elapsed})",
    )?);
    bar.enable_steady_tick(Duration::from_millis(120));
    Ok(bar)
}

/// Shows a stage: a bar when it counts its units, a spinner when it does not (`total` 0).
fn show(bar: &ProgressBar, p: Progress) {
    let counted = p.total > 0;
    if counted != bar.length().is_some_and(|n| n > 0) {
        let template = if counted {
            "{spinner} {msg:<24} [{bar:30}] {pos}/{len} ({elapsed})"
        } else {
            "{spinner} {msg:<24} ({elapsed})"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
    }
    bar.set_message(p.stage);
    bar.set_length(p.total);
    bar.set_position(p.done);
}

async fn train(state: &marquee::state::AppState) -> anyhow::Result<()> {
    let bar = stage_bar()?;
    let outcome = state
        .recommender
        .train(&state.db, &|p| show(&bar, p))
        .await?;
    bar.finish_and_clear();
    println!(
        "Trained model version {} on {} interactions ({} users, {} movies): load {:.1}s, train {:.1}s, evaluate {:.1}s",
        outcome.version_id, outcome.interactions, outcome.users, outcome.items, outcome.load_seconds, outcome.train_seconds, outcome.evaluate_seconds
    );
    println!("\n| stage | seconds |\n|---|---|");
    println!("| loading | {:.1} |", outcome.load_seconds);
    for (stage, seconds) in &outcome.stage_seconds {
        println!("| {stage} | {seconds:.1} |");
    }
    println!("| offline metrics | {:.1} |\n", outcome.evaluate_seconds);
    if let Some(t) = &outcome.tuning {
        println!(
            "Hyperparameter search ([recommender.tuning]):\n\n{}",
            t.to_markdown()
        );
    }
    if let Some(report) = &outcome.report {
        println!("{}", report.to_table());
    }
    Ok(())
}

/// A dataset folder's name as reports show it (`ml-100k`).
fn dataset_name(dir: &std::path::Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string())
}

fn bench_synth(args: BenchSynthArgs) -> anyhow::Result<()> {
    use std::io::{BufWriter, Write};
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let create = |name: &str| -> anyhow::Result<BufWriter<std::fs::File>> {
        let path = args.out.join(name);
        let f =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(BufWriter::with_capacity(1 << 20, f))
    };
    let (mut movies, mut ratings) = (create("movies.csv")?, create("ratings.csv")?);
    let bar = ProgressBar::new(args.ratings as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:<8} [{bar:30}] {pos}/{len} ratings ({elapsed}, {eta} left)",
        )?
        .progress_chars("=> "),
    );
    bar.set_message("writing");
    let t = std::time::Instant::now();
    let s = marquee::bench::synth::generate(
        args.ratings,
        args.seed,
        &mut movies,
        &mut ratings,
        &|n| bar.set_position(n as u64),
    )?;
    movies.flush()?;
    ratings.flush()?;
    bar.finish_and_clear();
    println!(
        "Wrote {} ratings by {} users of {} movies to {} in {:.1}s (seed {})",
        s.ratings,
        s.users,
        s.movies,
        args.out.display(),
        t.elapsed().as_secs_f64(),
        args.seed
    );
    Ok(())
}

async fn bench_serving(args: BenchServingArgs) -> anyhow::Result<()> {
    let dir = args.dataset.clone();
    let name = dataset_name(&dir);
    let seed = args.seed;
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let ds = marquee_core::dataset::load(&dir)
            .with_context(|| format!("reading {}", dir.display()))?;
        let bar = stage_bar()?;
        let r = marquee::bench::serving_report(&ds, &name, seed, &|p| show(&bar, p))?;
        bar.finish_and_clear();
        Ok(r)
    })
    .await??;
    match args.format {
        BenchFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        BenchFormat::Markdown => println!("{}", report.to_markdown()),
    }
    Ok(())
}

/// `--models` with `--params` and `--set` applied.
fn model_specs(
    list: &str,
    params: Option<&str>,
    set: &[String],
) -> anyhow::Result<Vec<ComponentSpec>> {
    let mut models: Vec<ComponentSpec> = list
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(ComponentSpec::new)
        .collect();
    if models.is_empty() {
        bail!("--models names no model");
    }
    marquee::cli::apply_params(&mut models, params, set).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(models)
}

/// Reads a MovieLens folder, dropping duplicate ratings (the last kept) with a note.
fn load_dataset(dir: &std::path::Path) -> anyhow::Result<(marquee_core::dataset::Dataset, usize)> {
    let mut ds =
        marquee_core::dataset::load(dir).with_context(|| format!("reading {}", dir.display()))?;
    let duplicates = ds.dedupe_ratings();
    if duplicates > 0 {
        eprintln!("{duplicates} duplicate ratings dropped (the last of each user and movie kept)");
    }
    Ok((ds, duplicates))
}

/// Writes split files under `out`.
fn write_files(out: &std::path::Path, files: Vec<(String, String)>) -> anyhow::Result<()> {
    for (name, text) in files {
        let path = out.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

async fn tune(args: TuneArgs) -> anyhow::Result<()> {
    use marquee_core::eval::tune::{dataset_splits, tune_dataset, TuneConfig};
    let parse = |s: &str, flag: &str| -> anyhow::Result<eval::Protocol> {
        s.parse().map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
    };
    let protocol = parse(&args.protocol, "protocol")?;
    if matches!(protocol, eval::Protocol::KFold(_)) {
        bail!(
            "--protocol {}: tune needs a single test split (holdout:F, temporal:F or leave-last:N)",
            args.protocol
        );
    }
    let validation = match &args.validation {
        Some(v) => parse(v, "validation")?,
        None => protocol,
    };
    if !(args.budget.is_finite() && args.budget >= 0.0) {
        bail!("--budget must be a number of seconds, at least 0");
    }
    let cfg = TuneConfig {
        validation,
        seed: args.seed,
        k: args.k,
        budget_seconds: args.budget,
        rounds: args.rounds,
        models: model_specs(&args.models, args.params.as_deref(), &args.set)?,
        ..Default::default()
    };
    let dir = args.dataset.clone();
    let dataset_name = dataset_name(&dir);
    let splits = args.write_splits.clone();
    let with_test = !args.no_test;
    let (tuning, test) = tokio::task::spawn_blocking(
        move || -> anyhow::Result<(eval::TuneReport, Option<eval::EvalReport>)> {
            let (ds, duplicates) = load_dataset(&dir)?;
            if let Some(out) = &splits {
                let s = dataset_splits(&ds, protocol, cfg.seed, cfg.validation)?;
                let meta = |p: eval::Protocol, seed: u64, of: &str| {
                    serde_json::json!({"protocol": p.to_string(), "seed": seed, "folds": 1, "of": of})
                };
                let mut files = eval::fold_files(&ds, &[s.test], meta(protocol, cfg.seed, "all"));
                files.extend(
                    eval::fold_files(
                        &ds,
                        &[s.validation],
                        meta(cfg.validation, cfg.seed.wrapping_add(1), "fold0.train"),
                    )
                    .into_iter()
                    .map(|(name, text)| (format!("validation/{name}"), text)),
                );
                write_files(out, files)?;
                eprintln!("splits written to {}", out.display());
            }
            let bar = stage_bar()?;
            let tuning = tune_dataset(&ds, protocol, &cfg, &|p| show(&bar, p))?;
            bar.finish_and_clear();
            if !with_test {
                return Ok((tuning, None));
            }
            // Given and tuned parameters side by side on the test part (one row where the
            // search kept the given ones).
            let mut models = Vec::new();
            let mut labels = Vec::new();
            for m in &tuning.models {
                models.push(m.given.clone());
                if m.best == m.given {
                    labels.push(format!("{} (given = tuned)", m.name));
                } else {
                    labels.push(m.name.clone());
                    models.push(m.best.clone());
                    labels.push(format!("{} (tuned)", m.name));
                }
            }
            let eval_cfg = EvalConfig {
                protocol,
                seed: cfg.seed,
                k: cfg.k,
                models,
                rating_metrics: true,
                ranking_metrics: true,
                relevance_threshold: None,
            };
            let bar = stage_bar()?;
            let mut test = eval::evaluate(&ds, &eval_cfg, &|p| show(&bar, p))?;
            bar.finish_and_clear();
            test.duplicates = duplicates;
            for (m, label) in test.models.iter_mut().zip(labels) {
                m.name = label;
            }
            Ok((tuning, Some(test)))
        },
    )
    .await??;
    if let Some(path) = &args.trials {
        std::fs::write(path, tuning.trials_csv())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("trials written to {}", path.display());
    }
    match args.format {
        ReportFormat::Csv => print!("{}", tuning.trials_csv()),
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "tuning": tuning,
                "test": test.map(|t| t.to_json(&dataset_name, &args.protocol)),
            }))?
        ),
        ReportFormat::Table | ReportFormat::Markdown => {
            println!("## Search on the validation split ({dataset_name})\n");
            println!("{}", tuning.to_markdown());
            if let Some(t) = test {
                println!(
                    "## Given and tuned parameters on the test split (`{}`, seed {})\n",
                    args.protocol, args.seed
                );
                if args.format == ReportFormat::Table {
                    println!("{}", t.to_table());
                } else {
                    println!("{}", t.to_markdown());
                }
            }
        }
    }
    Ok(())
}

async fn evaluate(args: EvaluateArgs) -> anyhow::Result<()> {
    let protocol = args.protocol.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let models = model_specs(&args.models, args.params.as_deref(), &args.set)?;
    let cfg = EvalConfig {
        protocol,
        seed: args.seed,
        k: args.k,
        models,
        rating_metrics: !args.no_rating,
        ranking_metrics: !args.no_ranking,
        relevance_threshold: None,
    };
    let dir = args.dataset.clone();
    let dataset_name = dataset_name(&dir);
    let splits = args.write_splits.clone();
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<eval::EvalReport> {
        let (ds, duplicates) = load_dataset(&dir)?;
        if let Some(out) = &splits {
            write_files(out, eval::split_files(&ds, cfg.protocol, cfg.seed))?;
            eprintln!("splits written to {}", out.display());
        }
        let bar = stage_bar()?;
        let mut r = eval::evaluate(&ds, &cfg, &|p| show(&bar, p))?;
        bar.finish_and_clear();
        r.duplicates = duplicates;
        Ok(r)
    })
    .await??;
    if let Some(path) = &args.per_user {
        std::fs::write(path, report.per_user_csv())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("per-user metrics written to {}", path.display());
    }
    match args.format {
        ReportFormat::Table => println!("{}", report.to_table()),
        ReportFormat::Markdown => println!("{}", report.to_markdown()),
        ReportFormat::Csv => print!(
            "{}",
            marquee::cli::csv_report(&report, &dataset_name, &args.protocol)?
        ),
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(&dataset_name, &args.protocol))?
        ),
    }
    Ok(())
}

//! Experiments' statistics against simulated users, through the real server over GraphQL:
//! how often an A/A experiment (both variants serve the same, and users behave the same)
//! is called significant at p < 0.05 — the false-positive rate, which should be near 5 % —
//! and how often a planted +20 % click-through effect is found (the power).
//!
//! Run: `cargo bench --bench experiments` (release build). Arguments after `--`:
//! `[A/A experiments (200)] [planted experiments (50)] [users per experiment (400)]`. The server runs in this process on a
//! SQLite file with the test configuration's demo catalogue and a trained model; each
//! repetition is a new experiment (a new salt, so a new split of the same users) and each
//! simulated user asks for 20 recommendations once and clicks each with probability 0.2
//! (0.24 in the planted variant), seeded by the repetition.
#[path = "../tests/api/simulator.rs"]
mod simulator;

use std::time::Instant;

use marquee::config::Settings;
use marquee::startup::Application;
use serde_json::json;
use simulator::{Plan, Server};

const PASSWORD: &str = "simulation-password-1";

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let aa_reps = args.first().copied().unwrap_or(200);
    let planted_reps = args.get(1).copied().unwrap_or(50);
    let users = args.get(2).copied().unwrap_or(400);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(aa_reps, planted_reps, users));
}

async fn run(aa_reps: usize, planted_reps: usize, users: usize) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::load_for("test", false).expect("config/test.toml loads");
    settings.server.bind = "127.0.0.1:0".into();
    settings.database.url = format!("sqlite://{}/sim.db?mode=rwc", tmp.path().display());
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    marquee::db::seed::load_demo(&state.db, &state.settings.demo)
        .await
        .expect("demo loads");
    state
        .recommender
        .train(&state.db, &marquee_core::recommender::no_progress)
        .await
        .expect("model trains");
    let client = reqwest::Client::new();
    let hash = marquee::auth::password::hash(PASSWORD).expect("hash");
    marquee::db::repo::staff::create(&state.db, "sim-editor@example.test", hash, "editor")
        .await
        .expect("editor");
    let login: serde_json::Value = client
        .post(format!("{base_url}/graphql"))
        .json(&json!({ "query": "mutation($p: String!) { login(input: {email: \"sim-editor@example.test\", password: $p}) { token } }",
                       "variables": { "p": PASSWORD } }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("JSON");
    let editor = login["data"]["login"]["token"]
        .as_str()
        .expect("editor token")
        .to_owned();
    let issue = |id: &str| {
        state
            .jwt
            .issue_user(id, chrono::Duration::hours(1))
            .expect("token")
            .0
    };
    let server = Server {
        client: &client,
        base_url: &base_url,
        user_token: &issue,
        editor: &editor,
    };

    let started = Instant::now();
    let mut rows = Vec::new();
    let mut aa_p = Vec::new();
    for (label, rate_b, reps) in [
        ("A/A (no effect)", 0.2, aa_reps),
        ("planted +20 % CTR", 0.24, planted_reps),
    ] {
        let mut significant = 0;
        let mut right_sign = 0;
        let mut mismatches = 0;
        for r in 0..reps {
            let id = server
                .start_experiment(&format!("{label} {r}"), &["A", "B"])
                .await;
            let plan = Plan {
                users,
                prefix: "sim-".into(),
                items: 20,
                click_rate: vec![("B".into(), rate_b)],
                base: 0.2,
                seed: r as u64,
            };
            server.run(&plan).await;
            state.impressions.flush().await;
            let (difference, p, srm) = server.click_through(&id, "B").await;
            server.stop_experiment(&id).await;
            if rate_b == 0.2 {
                aa_p.push(p);
            }
            if p < 0.05 {
                significant += 1;
                if difference > 0.0 {
                    right_sign += 1;
                }
            }
            if srm < 0.001 {
                mismatches += 1;
            }
            eprint!("\r{label}: {}/{reps}", r + 1);
        }
        eprintln!();
        rows.push((label, reps, significant, right_sign, mismatches));
    }
    let wall = started.elapsed().as_secs_f64();
    println!("`cargo bench --bench experiments -- {aa_reps} {planted_reps} {users}`: {users} simulated users per experiment (20 items shown each, click probability 0.2; 0.24 in B when planted), 50/50 split, two-sided z-test on CLICK_THROUGH; server in process on SQLite, 2 worker threads; {wall:.0} s wall.\n");
    println!("| experiment | runs | p < 0.05 | of which B > A | rate (95 % interval) | sample-ratio mismatches (p < 0.001) |");
    println!("|---|---|---|---|---|---|");
    for (label, reps, significant, right_sign, mismatches) in rows {
        let (rate, low, high) = wilson(significant, reps);
        println!(
            "| {label} | {reps} | {significant} | {right_sign} | {:.1} % ({:.1}–{:.1} %) | {mismatches} |",
            100.0 * rate,
            100.0 * low,
            100.0 * high
        );
    }
    // Under no effect p-values are uniform: the share below each level should be the level.
    println!("\nA/A p-values: share below each level (uniform if the test is calibrated)\n");
    println!("| level | 0.01 | 0.05 | 0.10 | 0.25 | 0.50 | mean p |");
    println!("|---|---|---|---|---|---|---|");
    let n = aa_p.len().max(1) as f64;
    let share = |a: f64| aa_p.iter().filter(|p| **p < a).count() as f64 / n;
    println!(
        "| observed | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
        share(0.01),
        share(0.05),
        share(0.10),
        share(0.25),
        share(0.50),
        aa_p.iter().sum::<f64>() / n
    );
}

/// A proportion with its 95 % Wilson score interval.
fn wilson(k: usize, n: usize) -> (f64, f64, f64) {
    let n = n.max(1) as f64;
    let rate = k as f64 / n;
    let z = 1.96f64;
    let centre = (rate + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (rate * (1.0 - rate) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    (rate, (centre - half).max(0.0), (centre + half).min(1.0))
}

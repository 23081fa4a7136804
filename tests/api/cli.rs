//! The `marquee` binary as users run it.
use std::process::Command;

fn marquee() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_marquee"));
    c.env("MARQUEE_ENV", "test").env(
        "MARQUEE_CONFIG_DIR",
        concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
    );
    c
}

/// `marquee evaluate --dataset DIR`, for the caller to add its arguments to.
fn evaluate(dir: &std::path::Path) -> Command {
    let mut c = marquee();
    c.args(["evaluate", "--dataset"]).arg(dir);
    c
}

/// Runs `c`, asserts that it succeeded (showing its stderr if not), returns its stdout.
fn stdout_of(c: &mut Command) -> Vec<u8> {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn every_command_has_help() {
    for cmd in [
        vec![],
        vec!["serve"],
        vec!["migrate"],
        vec!["import", "movielens"],
        vec!["export-schema"],
        vec!["staff", "add"],
        vec!["staff", "set-password"],
        vec!["token"],
        vec!["train"],
        vec!["model", "export"],
        vec!["model", "import"],
        vec!["evaluate"],
        vec!["tune"],
    ] {
        let out = marquee().args(&cmd).arg("--help").output().unwrap();
        assert!(out.status.success(), "{cmd:?} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{cmd:?}"
        );
    }
}

#[test]
fn help_names_the_environment_and_roles_are_a_closed_list() {
    let out = marquee().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "MARQUEE_ENV",
        "MARQUEE_CONFIG_DIR",
        "MARQUEE__SECTION__KEY",
        "RUST_LOG",
    ] {
        assert!(help.contains(var), "{var} missing from --help:\n{help}");
    }
    let out = marquee()
        .args(["staff", "add", "--email", "a@b.test", "--role", "root"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("admin") && err.contains("compliance"), "{err}");
}

#[test]
fn a_database_url_given_to_a_command_without_a_database_is_refused() {
    let out = marquee()
        .args(["--database-url", "sqlite://x.db", "export-schema"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--database-url does not apply"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_checks_its_address_before_touching_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("never.db");
    let out = marquee()
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .args(["serve", "--bind", "nonsense"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on \"nonsense\""), "{err}");
    assert!(
        !db.exists(),
        "the database was created before the address was checked"
    );
    assert!(!err.contains("password"), "{err}");
}

/// Trace export is a build feature: a binary without it refuses the setting at start rather
/// than dropping traces silently (the `otel` build's export has a unit test of its own).
#[cfg(not(feature = "otel"))]
#[test]
fn an_otlp_endpoint_needs_the_otel_build() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("never.db");
    let out = marquee()
        .env("MARQUEE__LOG__OTLP_ENDPOINT", "http://127.0.0.1:4318")
        .args(["--database-url", &format!("sqlite://{}", db.display())])
        .args(["serve", "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without the `otel` feature"), "{err}");
    assert!(!db.exists(), "the database was opened");
}

#[test]
fn staff_passwords_can_be_reset_from_the_command_line() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("staff.db").display());
    let run = |args: &[&str], stdin: &str| {
        let mut child = marquee()
            .args(["--database-url", &url])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{stdin}").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "staff",
            "add",
            "--email",
            "ops@example.test",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "first-password-123",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "staff",
            "set-password",
            "--email",
            "ops@example.test",
            "--password-stdin",
        ],
        "short",
    );
    assert!(!out.status.success(), "a short password was taken");
    let out = run(
        &[
            "staff",
            "set-password",
            "--email",
            "ops@example.test",
            "--password-stdin",
        ],
        "second-password-456",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "staff",
            "set-password",
            "--email",
            "nobody@example.test",
            "--password-stdin",
        ],
        "second-password-456",
    );
    assert!(!out.status.success());
}

#[test]
fn export_schema_writes_a_file_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("schema.graphql");
    let out = marquee()
        .args(["export-schema", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), on_disk);
}

#[test]
fn export_schema_prints_the_checked_in_contract() {
    let out = marquee().arg("export-schema").output().unwrap();
    assert!(out.status.success());
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == on_disk,
        "`marquee export-schema` differs from schema.graphql"
    );
}

#[test]
fn evaluate_runs_on_ml_100k_and_prints_json_metrics() {
    let dir = crate::helpers::dataset("ml-100k");
    let tmp = tempfile::tempdir().unwrap();
    let per_user = tmp.path().join("users.csv");
    let out = stdout_of(
        evaluate(&dir)
            .args([
                "--protocol",
                "holdout:0.2",
                "--models",
                "baseline,popularity,ease",
                "--set",
                "ease.neighbors=50",
                "--format",
                "json",
                "--seed",
                "7",
                "--per-user",
            ])
            .arg(&per_user),
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let models = v["models"].as_array().unwrap();
    let baseline = models.iter().find(|m| m["name"] == "baseline").unwrap();
    let rmse = baseline["rmse"].as_f64().unwrap();
    assert!((0.85..1.0).contains(&rmse), "baseline RMSE {rmse}");
    let pop = models.iter().find(|m| m["name"] == "popularity").unwrap();
    assert!(pop["ndcg@10"].as_f64().unwrap() > 0.05, "{pop}");
    assert_eq!(
        (&v["format"], &v["duplicates"]),
        (&serde_json::json!("MovieLens 100K"), &serde_json::json!(0))
    );
    // EASE ran with the setting given, and beat popularity.
    let ease = models.iter().find(|m| m["name"] == "ease").unwrap();
    assert!(ease["ndcg@10"].as_f64() > pop["ndcg@10"].as_f64(), "{ease}");
    // One CSV row per model and evaluated user.
    let csv = std::fs::read_to_string(&per_user).unwrap();
    let rows = csv
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("ease,1,"))
        .count();
    assert!(rows > 900, "{rows} ease rows");
    assert_eq!(csv.lines().count(), 1 + 3 * rows);
}

#[test]
fn evaluate_prints_csv_holding_what_the_json_holds() {
    let dir = crate::helpers::dataset("ml-100k");
    let run = |format: &str| {
        stdout_of(
            evaluate(&dir)
                .args([
                    "--protocol",
                    "holdout:0.2",
                    "--models",
                    "baseline,popularity",
                ])
                .args(["--seed", "7", "--format", format]),
        )
    };
    let json: serde_json::Value = serde_json::from_slice(&run("json")).unwrap();
    let csv_out = run("csv");
    let mut rows = csv::Reader::from_reader(csv_out.as_slice());
    let header = rows.headers().unwrap().clone();
    assert_eq!(
        &header.iter().take(5).collect::<Vec<_>>(),
        &["dataset", "protocol", "seed", "k", "model"]
    );
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2, "one row per model");
    for r in &records {
        let cell = |name: &str| {
            r.get(header.iter().position(|h| h == name).unwrap())
                .unwrap()
        };
        assert_eq!(
            (cell("dataset"), cell("protocol"), cell("seed"), cell("k")),
            ("ml-100k", "holdout:0.2", "7", "10")
        );
        let m = json["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == cell("model"))
            .unwrap();
        for column in ["rmse", "mae", "ndcg@10", "recall@10", "coverage"] {
            match m[column].as_f64() {
                // two runs: means summed in parallel may differ in the last bit
                Some(v) => {
                    let c = cell(column).parse::<f64>().unwrap();
                    assert!(
                        (c - v).abs() <= 1e-9 * v.abs().max(1.0),
                        "{column}: {c} vs {m}"
                    )
                }
                None => assert_eq!(cell(column), "", "{column} of {m}"),
            }
        }
    }
    // popularity predicts no ratings: its RMSE cell is empty, baseline's is not
    let rmse = header.iter().position(|h| h == "rmse").unwrap();
    let by_model = |name: &str| records.iter().find(|r| &r[4] == name).unwrap();
    assert_eq!(&by_model("popularity")[rmse], "");
    assert!(!by_model("baseline")[rmse].is_empty());
}

#[test]
fn evaluate_names_a_hyperparameter_the_model_does_not_have() {
    let dir = crate::helpers::dataset("ml-100k");
    // Evaluating ALS with one setting fails, saying why.
    let refused = |set: &str| {
        let out = evaluate(&dir)
            .args(["--models", "als", "--set", set])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{set} was accepted");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused("als.regularisation=20");
    assert!(
        err.contains("als has no parameter \"regularisation\""),
        "{err}"
    );
    let err = refused("mf.epochs=2");
    assert!(
        err.contains("mf is not among the models evaluated"),
        "{err}"
    );
}

#[test]
fn evaluate_refuses_an_unknown_protocol_or_model() {
    let dir = crate::helpers::dataset("ml-100k");
    let out = evaluate(&dir)
        .args(["--protocol", "sometimes:3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = evaluate(&dir)
        .args(["--models", "astrology"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn tune_searches_on_a_validation_split_of_the_training_part_and_reports_on_the_test_part() {
    let dir = crate::helpers::dataset("ml-100k");
    let tmp = tempfile::tempdir().unwrap();
    let splits = tmp.path().join("splits");
    let trials = tmp.path().join("trials.csv");
    // EASE from a λ far too strong: the search must move it, and the test split must agree.
    let out = stdout_of(
        marquee()
            .args(["tune", "--dataset"])
            .arg(&dir)
            .args(["--models", "ease,popularity", "--set", "ease.lambda=50000"])
            .args(["--rounds", "1", "--budget", "300", "--format", "json"])
            .arg("--write-splits")
            .arg(&splits)
            .arg("--trials")
            .arg(&trials),
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let tuning = &v["tuning"];
    assert_eq!(tuning["validation"], "holdout:0.2");
    let ease = &tuning["models"][0];
    assert_eq!(ease["name"], "ease");
    let (start, best) = (
        ease["start_score"].as_f64().unwrap(),
        ease["best_score"].as_f64().unwrap(),
    );
    assert!(best > start, "validation NDCG {start} → {best}");
    let lambda = ease["best"]["params"]["lambda"].as_f64().unwrap();
    assert!(lambda < 50000.0, "λ {lambda}");
    assert_eq!(tuning["models"][1]["trials"].as_array().unwrap().len(), 1);
    // On the test split: the given and the tuned EASE, and popularity once (nothing to tune).
    let test = v["test"]["models"].as_array().unwrap();
    let names: Vec<&str> = test.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["ease", "ease (tuned)", "popularity (given = tuned)"]
    );
    assert!(test[1]["ndcg@10"].as_f64() > test[0]["ndcg@10"].as_f64());
    // The trials, one CSV row each.
    let csv = std::fs::read_to_string(&trials).unwrap();
    let n_trials = ease["trials"].as_array().unwrap().len() + 1;
    assert_eq!(csv.lines().count(), 1 + n_trials);
    // The splits: the validation split partitions the test split's training part.
    let lines = |name: &str| -> std::collections::HashSet<String> {
        std::fs::read_to_string(splits.join(name))
            .unwrap()
            .lines()
            .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join(":"))
            .collect()
    };
    let (train, test) = (lines("fold0.train.tsv"), lines("fold0.test.tsv"));
    let (v_train, v_test) = (
        lines("validation/fold0.train.tsv"),
        lines("validation/fold0.test.tsv"),
    );
    assert!(!v_test.is_empty() && v_train.is_disjoint(&v_test));
    assert_eq!(&v_train | &v_test, train);
    assert!(v_test.is_disjoint(&test), "no test interaction validates");
    assert_eq!(train.len() + test.len(), 100_000);
}

#[test]
fn tune_refuses_k_fold_and_a_negative_budget() {
    let dir = crate::helpers::dataset("ml-100k");
    for (flag, value, says) in [
        ("--protocol", "kfold:5", "single test split"),
        ("--budget", "-1", "--budget"),
        ("--validation", "sometimes:3", "--validation"),
    ] {
        let out = marquee()
            .args(["tune", "--dataset"])
            .arg(&dir)
            .arg(format!("{flag}={value}"))
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flag} {value} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag} {value}: {err}");
    }
}

#[test]
fn token_prints_a_jwt_that_the_server_accepts() {
    let out = marquee()
        .args(["token", "--user", "42", "--ttl", "10m"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    let settings = crate::helpers::test_settings();
    let keys = marquee::auth::JwtKeys::from_settings(&settings.auth).unwrap();
    assert!(matches!(
        keys.verify(token.trim()).unwrap(),
        marquee::auth::Verified::User { external_id, .. } if external_id == "42"
    ));
}

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

#[test]
fn every_command_has_help() {
    for cmd in [
        vec![],
        vec!["serve"],
        vec!["migrate"],
        vec!["import", "movielens"],
        vec!["export-schema"],
        vec!["staff", "add"],
        vec!["token"],
        vec!["train"],
        vec!["model", "export"],
        vec!["model", "import"],
        vec!["evaluate"],
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
    let Some(dir) = crate::helpers::dataset("ml-100k") else {
        return;
    };
    let out = marquee()
        .args(["evaluate", "--dataset"])
        .arg(&dir)
        .args([
            "--protocol",
            "holdout:0.2",
            "--models",
            "baseline,popularity",
            "--format",
            "json",
            "--seed",
            "7",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let models = v["models"].as_array().unwrap();
    let baseline = models.iter().find(|m| m["name"] == "baseline").unwrap();
    let rmse = baseline["rmse"].as_f64().unwrap();
    assert!((0.85..1.0).contains(&rmse), "baseline RMSE {rmse}");
    let pop = models.iter().find(|m| m["name"] == "popularity").unwrap();
    assert!(pop["ndcg@10"].as_f64().unwrap() > 0.05, "{pop}");
}

#[test]
fn evaluate_refuses_an_unknown_protocol_or_model() {
    let Some(dir) = crate::helpers::dataset("ml-100k") else {
        return;
    };
    let out = marquee()
        .args(["evaluate", "--dataset"])
        .arg(&dir)
        .args(["--protocol", "sometimes:3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = marquee()
        .args(["evaluate", "--dataset"])
        .arg(&dir)
        .args(["--models", "astrology"])
        .output()
        .unwrap();
    assert!(!out.status.success());
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

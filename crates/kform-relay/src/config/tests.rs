//! `kform.toml` reading: every problem named by its key, secrets from the environment.

use super::{File, check_base_url, check_origin};

fn env(name: &str) -> Option<String> {
    match name {
        "KFORM_TOKEN" => Some("token-from-env".into()),
        "KFORM_ADMIN" => Some("admin-from-env".into()),
        "EMPTY" => Some(" ".into()),
        _ => None,
    }
}

fn problems(toml: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    match File::parse(toml).and_then(|file| file.resolve(dir.path(), &env)) {
        Ok(_) => Vec::new(),
        Err(err) => err.0.iter().map(ToString::to_string).collect(),
    }
}

const GOOD: &str = r#"
listen = "127.0.0.1:9000"
data_dir = "data"
admin_keys = [{ env = "KFORM_ADMIN" }]

[connections.main]
base_url = "https://example.cybozu.com/"
guest_space = 3
proxy = "http://proxy.internal:3128"

[connections.main.apps.12]
tokens = [{ env = "KFORM_TOKEN" }, "literal-token"]
"#;

#[test]
fn a_good_file_resolves_with_secrets_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let config = File::parse(GOOD).unwrap().resolve(dir.path(), &env).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(config.data_dir, dir.path().join("data"), "relative to kform.toml");
    let main = &config.connections["main"];
    assert_eq!(main.base_url, "https://example.cybozu.com");
    assert_eq!(main.guest_space, Some(3));
    let tokens: Vec<&str> =
        main.tokens[&kform_core::AppId(12)].iter().map(|t| t.expose()).collect();
    assert_eq!(tokens, ["token-from-env", "literal-token"]);
    assert!(config.admin_keys[0].matches("admin-from-env"));
    assert!(!format!("{config:?}").contains("token-from-env"), "Debug never shows a secret");
    assert_eq!(config.limits.json_body_bytes, 64 * 1024);
    assert_eq!(config.limits.trusted_proxy_hops, 0);
}

#[test]
fn shape_problems_name_their_key() {
    let unknown = problems("data_dir = \"d\"\nlisten_port = 3\n");
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].contains("unknown field `listen_port`"), "{unknown:?}");
    let wrong = problems("data_dir = \"d\"\n[limits]\njson_body_bytes = \"big\"\n");
    assert!(wrong[0].starts_with("limits.json_body_bytes: "), "{wrong:?}");
    let listen = problems("data_dir = \"d\"\nlisten = \"nowhere\"\n");
    assert!(listen[0].starts_with("listen: "), "{listen:?}");
    let secret = problems("data_dir = \"d\"\nadmin_keys = [{ name = \"X\" }]\n");
    assert!(secret[0].contains("a string, or { env = \"NAME\" }"), "{secret:?}");
    assert!(problems("data_dir = ").iter().any(|p| p.starts_with("kform.toml: ")));
}

#[test]
fn every_value_problem_is_reported_at_once() {
    let found = problems(
        r#"
data_dir = "d"
admin_keys = [{ env = "MISSING" }, { env = "EMPTY" }]
[connections.evil]
base_url = "https://kintone.example.com"
[connections.evil.apps.12]
tokens = ["t"]
[connections.fake]
base_url = "http://127.0.0.1:9"
login = "admin"
[connections.lax]
base_url = "http://127.0.0.1:9"
allow_any_host = true
proxy = "proxy:3128"
[connections.lax.apps.x]
tokens = ["t"]
[[forms]]
file = "missing.json"
connection = "nope"
allowed_origins = ["https://www.example.com/", "*"]
"#,
    );
    let expected_keys = [
        "admin_keys[0]: the environment variable MISSING is not set",
        "admin_keys[1]: the secret is empty",
        "connections.evil.base_url: \"kintone.example.com\" is not a kintone domain",
        "connections.fake.base_url: \"http://127.0.0.1:9\" must start with https://",
        "connections.fake.login: login and password go together",
        "connections.lax.apps.x: an app is named by its numeric id",
        "connections.lax.proxy: ",
        "forms[0].connection: there is no connection \"nope\"",
        "forms[0].allowed_origins[0]: ",
        "forms[0].allowed_origins[1]: ",
        "forms[0].file: cannot read ",
    ];
    for key in expected_keys {
        assert!(found.iter().any(|problem| problem.starts_with(key)), "{key} in {found:#?}");
    }
}

#[test]
fn the_rate_limit_is_checked_by_key_and_builds_for_any_accepted_value() {
    let limits = |per_minute: u32, burst: u32| {
        problems(&format!(
            "data_dir = \"d\"\n[limits]\nper_ip_per_minute = {per_minute}\nper_ip_burst = {burst}\n"
        ))
    };
    for (per_minute, burst) in [(0, 1), (1_000_001, 1)] {
        let found = limits(per_minute, burst);
        assert!(
            found[0].starts_with("limits.per_ip_per_minute: must be 1 to 1000000"),
            "{found:?}"
        );
    }
    let found = limits(60, 0);
    assert!(found[0].starts_with("limits.per_ip_burst: "), "{found:?}");
    // 60001 a minute once made the period 0 ms and panicked at start.
    for per_minute in [1, 60, 60_001, 1_000_000] {
        assert_eq!(limits(per_minute, 20), Vec::<String>::new());
        crate::guard::rate_limit(per_minute, 20, 0);
    }
}

#[test]
fn only_kintone_domains_unless_any_host_is_allowed() {
    for good in [
        "https://example.cybozu.com",
        "https://example.kintone.com",
        "https://example.cybozu.cn",
        "https://example.s.cybozu.com",
        "https://EXAMPLE.cybozu.com:443",
    ] {
        assert_eq!(check_base_url(good, false), Ok(()), "{good}");
    }
    for bad in [
        "https://cybozu.com",
        "https://example.cybozu.com.evil.net",
        "https://evilcybozu.com",
        "http://example.cybozu.com",
        "https://example.cybozu.com/k/v1",
        "https://user@example.cybozu.com",
    ] {
        assert!(check_base_url(bad, false).is_err(), "{bad}");
    }
    assert_eq!(check_base_url("http://127.0.0.1:8080", true), Ok(()));
}

#[test]
fn origins_are_exact() {
    assert_eq!(check_origin("https://www.example.com"), Ok(()));
    assert_eq!(check_origin("http://localhost:3000"), Ok(()));
    for bad in [
        "https://www.example.com/",
        "*",
        "https://*.example.com",
        "www.example.com",
        "https://WWW.example.com",
    ] {
        assert!(check_origin(bad).is_err(), "{bad}");
    }
}

#[test]
fn forms_are_read_from_files_next_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let form = include_str!("../demo-form.json");
    std::fs::write(dir.path().join("contact.json"), form).unwrap();
    let toml = format!(
        "{GOOD}\n[[forms]]\nfile = \"contact.json\"\nconnection = \"main\"\nallowed_origins = [\"https://www.example.com\"]\n"
    );
    let config = File::parse(&toml).unwrap().resolve(dir.path(), &env).unwrap();
    assert_eq!(config.forms[0].spec.id.0, "contact");
    assert_eq!(config.forms[0].allowed_origins, ["https://www.example.com"]);
    let twice = format!("{toml}\n[[forms]]\nfile = \"contact.json\"\nconnection = \"main\"\n");
    let err = File::parse(&twice).unwrap().resolve(dir.path(), &env).unwrap_err();
    assert!(err.to_string().contains("forms[1].file: form id contact is used twice"), "{err}");
}

#[test]
fn the_shipped_example_reads() {
    let example = include_str!("../../dist/kform.toml");
    let file = File::parse(example).unwrap();
    assert_eq!(file.connections["main"].apps["12"].tokens.len(), 1);
    assert_eq!(file.limits.trusted_proxy_hops, 0, "safe to copy with no proxy in front");
    assert!(file.data_key.is_some(), "it shows how stored secrets are sealed");
    // With its secrets in the environment it resolves as it is, beside its form file, with a
    // data directory beside it (a first local run needs no root).
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dist");
    let env = |name: &str| match name {
        "KFORM_DATA_KEY" => Some("k".repeat(32)),
        _ => Some(format!("{name}-0123456789-0123456789-0123456789")),
    };
    let config = file.resolve(&dist, &env).unwrap();
    assert_eq!(config.data_dir, dist.join("data"));
    assert_eq!(config.forms[0].spec.app.0, 12, "the form file is for the example's app");
    assert_eq!(config.warnings(), Vec::<String>::new(), "nothing in it does nothing");
    // Its commented mail settings (the digest's, [mail] and a form's) and a form's theme read
    // and resolve as written, once the lines of those blocks are uncommented.
    let mut block = false;
    let uncommented: String = example
        .lines()
        .map(|line| {
            let starts = ["# [notify]", "# [mail]", "# [forms.mail]", "# [forms.theme]"];
            block = starts.iter().any(|start| line.starts_with(start))
                || block && line.starts_with("# ") && !line.starts_with("# (");
            if block { line.trim_start_matches("# ").to_owned() } else { line.to_owned() }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = File::parse(&uncommented).unwrap().resolve(&dist, &env).unwrap();
    let mail = &config.forms[0].mail;
    assert!(config.mail.is_some() && mail.autoreply.is_some(), "{uncommented}");
    assert_eq!(mail.notify, ["sales@example.com"]);
    assert_eq!(config.forms[0].theme.accent.as_deref(), Some("#0a7f5a"), "{uncommented}");
}

#[test]
fn the_store_is_a_data_directory_or_a_postgresql_url() {
    let none = problems("listen = \"127.0.0.1:9000\"\n");
    assert_eq!(none.len(), 1, "{none:?}");
    assert!(none[0].starts_with("data_dir: is required"), "{none:?}");
    let bad = problems("database_url = \"mysql://db/kform\"\n");
    assert!(bad.iter().any(|p| p.starts_with("database_url: must be a PostgreSQL URL")), "{bad:?}");
    let missing = problems("database_url = { env = \"KFORM_DATABASE_URL\" }\n");
    assert!(missing[0].contains("KFORM_DATABASE_URL is not set"), "{missing:?}");
    let dir = tempfile::tempdir().unwrap();
    let toml = "database_url = \"postgres://kform:pw@db.internal/kform?sslmode=require\"\n\
                database_ca_file = \"db-ca.pem\"\n";
    let config = File::parse(toml).unwrap().resolve(dir.path(), &env).unwrap();
    assert!(config.database_url.is_some());
    assert_eq!(
        config.database_ca_file,
        Some(dir.path().join("db-ca.pem")),
        "relative to kform.toml"
    );
    assert!(!format!("{config:?}").contains("pw@"), "Debug never shows the password");
}

#[test]
fn mail_is_set_in_the_file_and_a_forms_templates_are_checked_at_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("contact.json"), crate::demo::DEMO_FORM).unwrap();
    let file = |body: &str| {
        format!(
            "{GOOD}\n[[forms]]\nfile = \"contact.json\"\nconnection = \"main\"\n{body}\n\
             [notify]\nfrom = \"kform <kform@example.com>\"\nadmins = [\"ops@example.com\"]\n\
             [notify.smtp]\nhost = \"smtp.example.com\"\n\
             [mail]\nfrom = \"Example <info@example.com>\"\n"
        )
    };
    let good = file(
        "[forms.mail]\nnotify = [\"team@example.com\"]\n[forms.mail.autoreply]\nto = \"メールアドレス\"\n\
         subject = { ja = \"受付のお知らせ\" }\nbody = { ja = \"\"\"{{会社名}} 様\n受付番号: {{submission_id}}\"\"\" }\n",
    );
    let config = File::parse(&good).unwrap().resolve(dir.path(), &env).unwrap();
    let mail = config.mail.unwrap();
    assert_eq!((mail.per_recipient_per_hour, mail.per_form_per_hour), (3, 200), "defaults");
    assert_eq!(
        mail.smtp.host, "smtp.example.com",
        "[notify.smtp] serves when [mail.smtp] is not set"
    );
    assert_eq!(config.forms[0].mail.notify, ["team@example.com"]);
    let bad = good.replace("{{会社名}}", "{{氏名}}");
    let err = File::parse(&bad).unwrap().resolve(dir.path(), &env).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(err.0[0].key, "forms[0].mail.autoreply.body.ja");
    assert!(err.0[0].reason.starts_with("unknown name {{氏名}}"), "{err}");
}

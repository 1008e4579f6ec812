//! The `kform` binary: parses the command line and runs the relay's commands.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kform_core::Locale;
use kform_relay::config::{ConfigError, LogFormat};
use tracing_subscriber::EnvFilter;

mod check;

/// kform: web forms in front of kintone.
#[derive(Parser)]
#[command(name = "kform", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay from a configuration file until Ctrl-C or SIGTERM.
    ///
    /// A bad value is refused at start, naming its key (exit 2).
    Serve {
        /// The configuration (see the README's "Running the relay").
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
    },
    /// Check a configuration: every value, every connection (fields.json) and every form.
    ///
    /// Prints a table and exits 0 when everything works, 1 when something fails, 2 when the
    /// file itself is invalid.
    CheckConfig {
        /// The configuration.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
    },
    /// Show a form's delivery status and its submissions, newest first.
    ///
    /// Counts per stage, a pause with its reason, drift alerts, and for each submission its
    /// time, stage, tries, record or next try, kintone's message and what to do about it.
    /// Exits 0, or 1 when the form or the data directory cannot be read, 2 for a bad kform.toml.
    History {
        /// The relay's configuration (its data directory and connections are used).
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
        /// The form.
        #[arg(long)]
        form: String,
        /// Only this stage: pending, delivered, tested, dead_letter, spam or discarded.
        #[arg(long)]
        stage: Option<String>,
        /// At most this many submissions.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print the admin API's JSON ({"status", "submissions"}) instead of lines.
        #[arg(long)]
        json: bool,
        /// The language of the advice.
        #[arg(long, value_enum, default_value = "en")]
        lang: check::Lang,
    },
    /// Put a dead-lettered (or pending) submission back in the outbox, or every dead letter of
    /// the form with --all-dead-letters.
    ///
    /// A running relay delivers it at its next round. Exits 1 when the submission does not
    /// exist or is already settled (delivered, discarded, …).
    Replay {
        /// The relay's configuration.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
        /// The form.
        #[arg(long)]
        form: String,
        /// The submission id.
        #[arg(
            long,
            required_unless_present = "all_dead_letters",
            conflicts_with = "all_dead_letters"
        )]
        submission: Option<String>,
        /// Every dead letter of the form.
        #[arg(long)]
        all_dead_letters: bool,
        /// A corrected value, `FIELD=VALUE` (repeatable; a JSON array for a field of several
        /// values): laid over the submitted values and checked against the app's current fields
        /// first, as the admin API's replay does.
        #[arg(long = "set", value_name = "FIELD=VALUE", requires = "submission")]
        set: Vec<String>,
    },
    /// Give up a dead-lettered or pending submission (and its files).
    ///
    /// Exits 1 when the submission does not exist or is already settled.
    Discard {
        /// The relay's configuration.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
        /// The form.
        #[arg(long)]
        form: String,
        /// The submission id.
        #[arg(long)]
        submission: String,
    },
    /// Deliver a paused form again, once its connection is fixed.
    Resume {
        /// The relay's configuration.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
        /// The form.
        #[arg(long)]
        form: String,
    },
    /// Send a mail that could not be delivered (an auto-reply or a team notice `kform history`
    /// lists as not delivered) again, or every one of the form with --all.
    ///
    /// A running relay sends it within a second. Exits 1 when the form has no such mail.
    ResendMail {
        /// The relay's configuration.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
        /// The form.
        #[arg(long)]
        form: String,
        /// The mail's number.
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        mail: Option<i64>,
        /// Every undelivered mail of the form.
        #[arg(long)]
        all: bool,
    },
    /// Drop a mail that could not be delivered, for good.
    ///
    /// Exits 1 when the form has no such mail.
    DropMail {
        /// The relay's configuration.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
        /// The form.
        #[arg(long)]
        form: String,
        /// The mail's number.
        #[arg(long)]
        mail: i64,
    },
    /// Bring the data directory's database to this kform's layout, as `kform serve` does at
    /// start: for those who migrate before deploying.
    ///
    /// Exits 0, 1 when the database cannot be migrated (a newer kform's layout, say), 2 for a
    /// bad kform.toml.
    Migrate {
        /// The relay's configuration.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
    },
    /// Copy a relay's data directory (`data_dir`) into the PostgreSQL database (`database_url`),
    /// both set in kform.toml, for moving from one relay to several. Stop the relay first.
    /// Exits 0, 1 when the copy failed (nothing is copied then), 2 for a bad kform.toml.
    Import {
        /// The relay's configuration, with both data_dir and database_url.
        #[arg(long, value_name = "kform.toml", default_value = "kform.toml")]
        config: PathBuf,
    },
    /// Run the demo: a fake kintone, the relay and the demo pages on 127.0.0.1.
    #[cfg(feature = "demo")]
    Demo {
        /// The page port (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The folder of demo pages.
        #[arg(long, default_value = "www")]
        www: PathBuf,
        /// The folder of the built widget.
        #[arg(long, default_value = "pkg")]
        pkg: PathBuf,
        /// An SMTP server (host:port, no TLS) for forms' auto-replies and notices.
        #[arg(long, value_name = "HOST:PORT")]
        smtp: Option<std::net::SocketAddr>,
    },
    /// Run the fake kintone alone, serving the apps of an APPS.json file, until killed.
    ///
    /// Prints `listening on http://…` as the first line of standard output. A bad APPS.json is
    /// refused at start with the JSON path of the problem (exit 2).
    #[cfg(feature = "demo")]
    FakeKintone {
        /// {"apps": [{"id", "name", "properties", "tokens", "records", …}], "users": […]}.
        #[arg(long, value_name = "APPS.json")]
        apps: PathBuf,
        /// The address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
    },
    /// Validate field values against an app's fields (and a form), as the relay would.
    ///
    /// Prints {"ok": true, "record": …} and exits 0, or {"ok": false, "errors": …} in kintone's
    /// error shape and exits 1; exits 2 when an input cannot be read.
    Validate {
        /// A kintone `GET /k/v1/app/form/fields.json` response.
        #[arg(long, value_name = "FIELDS.json")]
        fields: PathBuf,
        /// {"<field code>": <value>, …}: a string, an array of strings, [{"code": …}],
        /// [{"fileKey": …}], or for a subtable an array of row objects.
        #[arg(long, value_name = "VALUES.json")]
        record: PathBuf,
        /// A form definition; without it every field a form may write is checked.
        #[arg(long, value_name = "FORM.json")]
        form: Option<PathBuf>,
        /// The language of the messages.
        #[arg(long, value_enum, default_value = "ja")]
        lang: check::Lang,
    },
    /// Check a form definition against an app's fields and print every problem.
    ///
    /// Exits 0 when the form is sound, 1 when it has problems, 2 when an input cannot be read.
    LintForm {
        /// A kintone `GET /k/v1/app/form/fields.json` response.
        #[arg(long, value_name = "FIELDS.json")]
        fields: PathBuf,
        /// The form definition.
        #[arg(long, value_name = "FORM.json")]
        form: PathBuf,
        /// The language of the messages.
        #[arg(long, value_enum, default_value = "ja")]
        lang: check::Lang,
        /// Print the problems as a JSON array instead of lines.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().command {
        Command::Serve { config } => {
            let config = match kform_relay::config::load(&config) {
                Ok(config) => config,
                Err(err) => return config_error(&config, &err),
            };
            init_tracing(config.log_format);
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            runtime.block_on(async {
                let state = kform_relay::serve::open(&config).await?;
                for warning in kform_relay::serve::warnings(&config, &state) {
                    tracing::warn!("{warning}");
                }
                let listener = tokio::net::TcpListener::bind(config.listen)
                    .await
                    .with_context(|| format!("listen: cannot listen on {}", config.listen))?;
                let addr = listener.local_addr()?;
                tracing::info!(%addr, store = %state.store_place(), "kform relay listening");
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "listening on http://{addr}")?;
                stdout.flush()?;
                drop(stdout);
                kform_relay::serve::run(state, listener, shutdown_signal()).await?;
                tracing::info!("stopped");
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig { config } => {
            let config = match kform_relay::config::load(&config) {
                Ok(config) => config,
                Err(err) => return config_error(&config, &err),
            };
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            let (report, ok) = runtime.block_on(kform_relay::serve::check(&config));
            let mut stdout = std::io::stdout().lock();
            write!(stdout, "{report}")?;
            writeln!(stdout, "{}", if ok { "everything works" } else { "some checks failed" })?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::History { config, form, stage, limit, json, lang } => {
            let command = kform_relay::manage::Command::History { form, stage, limit, json };
            operate(&config, command, lang.into())
        }
        Command::Replay { config, form, submission, all_dead_letters: _, set } => {
            let command = kform_relay::manage::Command::Replay { form, submission, set };
            operate(&config, command, Locale::En)
        }
        Command::Discard { config, form, submission } => {
            operate(&config, kform_relay::manage::Command::Discard { form, submission }, Locale::En)
        }
        Command::Resume { config, form } => {
            operate(&config, kform_relay::manage::Command::Resume { form }, Locale::En)
        }
        Command::ResendMail { config, form, mail, all: _ } => {
            operate(&config, kform_relay::manage::Command::ResendMail { form, mail }, Locale::En)
        }
        Command::DropMail { config, form, mail } => {
            operate(&config, kform_relay::manage::Command::DropMail { form, mail }, Locale::En)
        }
        Command::Import { config: path } => {
            let config = match kform_relay::config::load(&path) {
                Ok(config) => config,
                Err(err) => return config_error(&path, &err),
            };
            match kform_relay::serve::import(&config) {
                Ok(copied) => {
                    let mut out = std::io::stdout();
                    for (table, rows) in copied {
                        writeln!(out, "{table}: {rows}")?;
                    }
                    writeln!(out, "imported into the database; start the relays on database_url")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    writeln!(std::io::stderr(), "kform: {err}")?;
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Migrate { config: path } => {
            let config = match kform_relay::config::load(&path) {
                Ok(config) => config,
                Err(err) => return config_error(&path, &err),
            };
            match kform_relay::serve::migrate(&config) {
                Ok((from, to)) if from == to => {
                    writeln!(std::io::stdout(), "database layout {to}: already current")?;
                    Ok(ExitCode::SUCCESS)
                }
                Ok((from, to)) => {
                    writeln!(std::io::stdout(), "database layout {from} migrated to {to}")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    writeln!(std::io::stderr(), "kform: {err}")?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Validate { fields, record, form, lang } => {
            Ok(check::validate_command(&fields, &record, form.as_deref(), lang))
        }
        Command::LintForm { fields, form, lang, json } => {
            Ok(check::lint_command(&fields, &form, lang, json))
        }
        #[cfg(feature = "demo")]
        Command::FakeKintone { apps, listen } => {
            init_tracing(LogFormat::Text);
            let text = std::fs::read_to_string(&apps)
                .with_context(|| format!("cannot read {}", apps.display()))?;
            let apps = match kform_fake_kintone::Apps::from_json(&text) {
                Ok(apps) => apps,
                Err(err) => {
                    writeln!(std::io::stderr(), "kform fake-kintone: {}: {err}", apps.display())?;
                    return Ok(ExitCode::from(2));
                }
            };
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            runtime.block_on(async {
                let fake = kform_fake_kintone::spawn_on(apps, listen).await?;
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "listening on {}", fake.url())?;
                stdout.flush()?;
                drop(stdout);
                shutdown_signal().await;
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "demo")]
        Command::Demo { port, www, pkg, smtp } => {
            init_tracing(LogFormat::Text);
            let options =
                kform_relay::demo::DemoOptions { port, pages_dir: www, widget_dir: pkg, smtp };
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            runtime
                .block_on(kform_relay::demo::run(options, shutdown_signal()))
                .context("kform demo failed")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs an operator command on the relay's data directory: its output on stdout (exit 0), or
/// why it was refused on stderr (exit 1); a bad configuration exits 2.
fn operate(
    path: &std::path::Path,
    command: kform_relay::manage::Command,
    lang: Locale,
) -> anyhow::Result<ExitCode> {
    let config = match kform_relay::config::load(path) {
        Ok(config) => config,
        Err(err) => return config_error(path, &err),
    };
    // Only warnings and errors: the output is for people and scripts.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let outcome = runtime.block_on(kform_relay::manage::run(&config, command, lang));
    if outcome.ok {
        write!(std::io::stdout().lock(), "{}", outcome.output)?;
        Ok(ExitCode::SUCCESS)
    } else {
        write!(std::io::stderr().lock(), "{}", outcome.output)?;
        Ok(ExitCode::from(1))
    }
}

/// Prints every problem of a configuration, one `key: reason` per line, and exits 2.
fn config_error(path: &std::path::Path, err: &ConfigError) -> anyhow::Result<ExitCode> {
    let mut stderr = std::io::stderr().lock();
    writeln!(stderr, "kform: {} is invalid:", path.display())?;
    for problem in &err.0 {
        writeln!(stderr, "  {problem}")?;
    }
    Ok(ExitCode::from(2))
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: a log file or journald gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

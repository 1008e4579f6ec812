//! The `kform` binary: parses the command line and runs the relay's commands.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// kform: web forms in front of kintone.
#[derive(Parser)]
#[command(name = "kform", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the demo: a fake kintone, the relay and the demo pages on 127.0.0.1.
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
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Demo { port, www, pkg } => {
            let options = kform_relay::demo::DemoOptions { port, pages_dir: www, widget_dir: pkg };
            kform_relay::demo::run(options, shutdown_signal())
                .await
                .context("kform demo failed")?;
        }
    }
    Ok(())
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

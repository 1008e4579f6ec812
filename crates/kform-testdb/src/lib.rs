//! A throwaway PostgreSQL server for kform's tests and benchmarks: started on first use from
//! Debian's PostgreSQL binaries, in a temporary directory, as an unprivileged user, on a free
//! loopback port; stopped when the process that started it exits (even by a panic or a kill).
//!
//! Each [`database`] call creates a new, empty database on that server, so tests running side
//! by side never see each other's rows. `KFORM_TEST_POSTGRES` names an existing server instead
//! (a URL whose user may create databases).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The `apt-get` line that installs what [`database`] needs.
pub const INSTALL: &str = "apt-get update && apt-get install -y --no-install-recommends postgresql";

/// Why no server could be had.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// A running server: the URL of its `postgres` database, as a user that may create databases.
struct Server {
    base: String,
    /// The CA certificate that signed the server's (its TLS is on); none for a server named by
    /// `KFORM_TEST_POSTGRES`.
    ca_file: Option<PathBuf>,
    /// The pipe whose closing (when this process exits) stops the server.
    _stop: Option<std::process::ChildStdin>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// How the server is tuned: `durable` keeps PostgreSQL's default `fsync` (benchmarks); tests
/// turn it off, which only matters if the machine itself crashes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Whether each commit waits for the disk, as in production.
    pub durable: bool,
}

/// A fresh, empty database on the shared throwaway server (started on first call): its URL.
pub fn database() -> Result<String, Error> {
    database_with(Options::default())
}

/// [`database`] on a server started with `options` (the first call's options win). It may be
/// called from async code: the work runs on a thread of its own, since the blocking client
/// cannot run on a thread driving async tasks.
pub fn database_with(options: Options) -> Result<String, Error> {
    std::thread::scope(|scope| scope.spawn(move || create(options)).join())
        .map_err(|_| Error("creating a test database panicked".into()))?
}

fn create(options: Options) -> Result<String, Error> {
    let name = format!("kform_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    create_named(options, &name, false)
}

/// The database that stands for `key` (a test's data directory, say) on the shared server:
/// created empty on the first call with that key, the same one on later calls, as a relay
/// restarted on the same data directory finds its state again.
pub fn database_for(key: &str) -> Result<String, Error> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    let name = format!("kform_{}_k{:x}", std::process::id(), hasher.finish());
    std::thread::scope(|scope| {
        scope.spawn(move || create_named(Options::default(), &name, true)).join()
    })
    .map_err(|_| Error("creating a test database panicked".into()))?
}

fn create_named(options: Options, name: &str, reuse: bool) -> Result<String, Error> {
    let server = SERVER.get_or_init(|| start(options)).as_ref().map_err(|e| Error(e.clone()))?;
    let mut client = postgres::Client::connect(&server.base, postgres::NoTls)
        .map_err(|err| Error(format!("cannot connect to the test server: {err}")))?;
    let exists = reuse
        && !client
            .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .map_err(|err| Error(format!("cannot list the test databases: {err}")))?
            .is_empty();
    if !exists {
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|err| Error(format!("cannot create a test database: {err}")))?;
    }
    Ok(replace_database(&server.base, name))
}

/// `url` with its database name replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((head, _)) if head.contains("://") && head.len() > "postgres://".len() => {
            format!("{head}/{name}")
        }
        _ => format!("{url}/{name}"),
    }
}

fn start(options: Options) -> Result<Server, String> {
    if let Ok(url) = std::env::var("KFORM_TEST_POSTGRES") {
        return Ok(Server { base: url, ca_file: None, _stop: None });
    }
    let bin = binaries().ok_or_else(|| {
        format!(
            "PostgreSQL's server programs (initdb, postgres) are not installed; as root: {INSTALL}"
        )
    })?;
    // initdb and postgres refuse to run as root: as root, they run as `nobody`, in a folder
    // of /tmp (which every user may reach, whatever TMPDIR says).
    let as_root = is_root();
    let parent = if as_root { PathBuf::from("/tmp") } else { std::env::temp_dir() };
    let dir = tempfile::Builder::new()
        .prefix("kform-postgres-")
        .tempdir_in(parent)
        .map_err(|err| format!("cannot make a temporary directory: {err}"))?
        .keep();
    let data = dir.join("data");
    if as_root {
        let status = Command::new("chown")
            .args(["nobody", &dir.to_string_lossy()])
            .status()
            .map_err(|err| format!("cannot run chown: {err}"))?;
        if !status.success() {
            return Err(format!("chown nobody {} failed", dir.display()));
        }
    }
    let mut initdb = as_user(as_root, &bin.join("initdb"));
    initdb
        .args(["-D", &data.to_string_lossy(), "-U", "kform", "--auth=trust", "-E", "UTF8"])
        .args(["--no-sync", "--locale=C"])
        .stdout(Stdio::null());
    let out = initdb.output().map_err(|err| format!("cannot run initdb: {err}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let ca_file = certificates(&dir, as_root)?;
    let port = free_port()?;
    let fsync = if options.durable { "on" } else { "off" };
    // The shell waits for its standard input to close (this process exited), then stops the
    // server with a fast shutdown and removes its directory.
    let script = format!(
        "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync={fsync} \
         -c max_connections=200 -c shared_buffers=64MB -c ssl=on \
         -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key \
         >{dir}/log 2>&1 & pid=$!; \
         read _ignored; kill -INT $pid; wait $pid; rm -rf {dir}",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
    );
    let mut shell = as_user(as_root, Path::new("/bin/sh"));
    shell.args(["-c", &script]).stdin(Stdio::piped()).stdout(Stdio::null());
    let mut child = shell.spawn().map_err(|err| format!("cannot start postgres: {err}"))?;
    let stop = child.stdin.take().ok_or("no pipe to the server's shell")?;
    let base = format!("postgres://kform@127.0.0.1:{port}/postgres");
    let started = Instant::now();
    loop {
        if postgres::Client::connect(&base, postgres::NoTls).is_ok() {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!("the test PostgreSQL did not start within 30 s:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // The child is not waited for: it outlives nothing but this process.
    std::mem::forget(child);
    Ok(Server { base, ca_file: Some(ca_file), _stop: Some(stop) })
}

/// The CA certificate (PEM) that signed the shared server's certificate, for tests of verified
/// TLS (`sslmode=require` with it); `None` when `KFORM_TEST_POSTGRES` names the server.
pub fn ca_file() -> Option<PathBuf> {
    SERVER.get()?.as_ref().ok()?.ca_file.clone()
}

/// Makes a CA and a server certificate for 127.0.0.1 and localhost in `dir` with the `openssl`
/// command (which Debian's PostgreSQL package brings); the CA's file.
fn certificates(dir: &Path, as_root: bool) -> Result<PathBuf, String> {
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|err| format!("cannot run openssl: {err}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)))
        }
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[
        &["req", "-x509"][..],
        &ec[..],
        &["-keyout", "ca.key", "-out", "ca.crt", "-days", "3"],
        &["-subj", "/CN=kform test CA", "-addext", "basicConstraints=critical,CA:TRUE"],
        &["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ]
    .concat())?;
    run(&[
        &["req"][..],
        &ec[..],
        &["-keyout", "server.key", "-out", "server.csr"],
        &["-subj", "/CN=localhost"],
    ]
    .concat())?;
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        .map_err(|err| err.to_string())?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "3",
        "-extfile",
        "server.ext",
    ])?;
    // PostgreSQL wants its key private to the user it runs as.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("server.key"), std::fs::Permissions::from_mode(0o600))
            .map_err(|err| err.to_string())?;
    }
    if as_root {
        for file in ["server.key", "server.crt"] {
            let status = Command::new("chown")
                .args(["nobody", &dir.join(file).to_string_lossy()])
                .status()
                .map_err(|err| format!("cannot run chown: {err}"))?;
            if !status.success() {
                return Err(format!("chown nobody {file} failed"));
            }
        }
    }
    Ok(dir.join("ca.crt"))
}

fn as_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The directory of `initdb` and `postgres`: `pg_config --bindir`, else Debian's newest.
fn binaries() -> Option<PathBuf> {
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if let Some(dir) = from_config.filter(|dir| dir.join("initdb").is_file()) {
        return Some(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|err| format!("cannot find a free port: {err}"))?;
    listener.local_addr().map(|addr| addr.port()).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_databases_are_separate() {
        let a = super::database().unwrap_or_else(|err| panic!("{err}"));
        let b = super::database().unwrap_or_else(|err| panic!("{err}"));
        assert_ne!(a, b);
        let mut first =
            postgres::Client::connect(&a, postgres::NoTls).unwrap_or_else(|e| panic!("{e}"));
        first
            .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut second =
            postgres::Client::connect(&b, postgres::NoTls).unwrap_or_else(|e| panic!("{e}"));
        assert!(second.query("SELECT x FROM t", &[]).is_err(), "b has no table t");
    }
}

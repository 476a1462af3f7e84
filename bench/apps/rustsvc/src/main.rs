//! The bench's realistic Rust service: a small notes API on std::net, with serde for JSON, regex to
//! validate input, sha2 for ETags, httpdate for Date headers and log for its access log. A --check mode
//! is what the image's exec-form HEALTHCHECK runs (distroless has no curl).
mod http;
mod notes;

use std::env;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::exit;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::Context;

const MESSAGE: &str = "hello from a realistic hardened rust service";

/// Logs to stderr, the container's log; the level comes from LOG_LEVEL.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::max_level()
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            eprintln!("{} {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {:#}", e);
        exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let mut addr = env::var("ADDR").unwrap_or_else(|_| "0.0.0.0:8080".to_string());
    let mut check = false;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--addr" => addr = args.next().unwrap_or(addr),
            other => anyhow::bail!("unknown argument {}; use --addr HOST:PORT or --check", other),
        }
    }
    if check {
        exit(probe(&addr));
    }
    log::set_logger(&StderrLog).map_err(|e| anyhow::anyhow!("logger: {}", e))?;
    let level = env::var("LOG_LEVEL").unwrap_or_default();
    log::set_max_level(level.parse().unwrap_or(log::LevelFilter::Info));

    let listener = TcpListener::bind(&addr).with_context(|| format!("listen on {}", addr))?;
    log::info!("listening on {}", addr);
    let store = Arc::new(Mutex::new(notes::Store::default()));
    for stream in listener.incoming().flatten() {
        let store = Arc::clone(&store);
        thread::spawn(move || {
            if let Err(e) = http::serve(stream, &store, MESSAGE) {
                log::warn!("request: {}", e);
            }
        });
    }
    Ok(())
}

fn probe(addr: &str) -> i32 {
    let port = addr.rsplit(':').next().unwrap_or("8080");
    let mut stream = match TcpStream::connect(format!("127.0.0.1:{}", port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", e);
            return 1;
        }
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    if stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").is_err() {
        return 1;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    if answer.starts_with("HTTP/1.1 200") {
        0
    } else {
        1
    }
}

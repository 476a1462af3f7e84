//! The example service a hardened.yaml builds: a small HTTP API on std::net alone, with a
//! --check mode the image's exec-form HEALTHCHECK runs (distroless has no curl).
use std::env;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::process::exit;
use std::thread;
use std::time::Duration;

const MESSAGE: &str = "hello from a hardened rust image";

fn main() {
    let mut addr = env::var("ADDR").unwrap_or_else(|_| "0.0.0.0:8080".to_string());
    let mut check = false;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--addr" => addr = args.next().unwrap_or(addr),
            other => {
                eprintln!("unknown argument {}; use --addr HOST:PORT or --check", other);
                exit(2);
            }
        }
    }
    if check {
        exit(probe(&addr));
    }

    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("listen on {}: {}", addr, e);
        exit(1);
    });
    eprintln!("listening on {} as uid {}", addr, uid());
    for stream in listener.incoming().flatten() {
        thread::spawn(move || {
            if let Err(e) = serve(stream) {
                eprintln!("request: {}", e);
            }
        });
    }
}

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // Headers are read and ignored up to the blank line.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/" => ("200 OK", format!("{{\"message\":\"{}\",\"uid\":{}}}\n", MESSAGE, uid())),
        "/healthz" => ("200 OK", "ok\n".to_string()),
        _ => ("404 Not Found", "not found\n".to_string()),
    };
    let mut len = itoa::Buffer::new();
    write!(
        stream,
        "HTTP/1.1 {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        status,
        len.format(body.len()),
        body
    )
}

/// The uid the process runs as: the owner of /proc/self, with no libc crate.
fn uid() -> u32 {
    std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX)
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

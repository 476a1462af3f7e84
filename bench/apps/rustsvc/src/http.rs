//! Just enough HTTP/1.1 on std::net for the notes API: one request per connection.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::notes::{self, Store};

/// The largest request body read; a note is small.
const MAX_BODY: usize = 64 * 1024;

struct Response {
    status: &'static str,
    body: String,
}

fn reply(status: &'static str, body: serde_json::Value) -> Response {
    Response { status, body: body.to_string() + "\n" }
}

pub fn serve(mut stream: TcpStream, store: &Mutex<Store>, message: &str) -> anyhow::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut length = 0usize;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0).min(MAX_BODY);
            }
        }
        line.clear();
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"));
    let response = route(method, target, &body, store, message);
    log::info!("{} {} {}", method, target, response.status);
    let mut len = itoa::Buffer::new();
    write!(
        stream,
        "HTTP/1.1 {}\r\nDate: {}\r\nETag: \"{}\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        response.status,
        httpdate::fmt_http_date(SystemTime::now()),
        notes::etag(response.body.as_bytes()),
        len.format(response.body.len()),
        response.body
    )?;
    Ok(())
}

fn route(method: &str, target: &str, body: &[u8], store: &Mutex<Store>, message: &str) -> Response {
    let (path, query) = match memchr::memchr(b'?', target.as_bytes()) {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, ""),
    };
    let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
    match (method, path) {
        ("GET", "/") => reply("200 OK", json!({ "message": message })),
        ("GET", "/healthz") => reply("200 OK", json!("ok")),
        ("GET", "/notes") => {
            let tag = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "tag").map(|(_, v)| v.into_owned());
            reply("200 OK", json!(store.list(tag.as_deref())))
        }
        ("POST", "/notes") => match notes::parse(body) {
            Ok(n) => reply("201 Created", json!(store.add(n))),
            Err(e) => reply("400 Bad Request", json!({ "error": e.to_string() })),
        },
        ("GET", p) if p.starts_with("/notes/") => {
            let id = percent_decode_str(&p["/notes/".len()..]).decode_utf8_lossy();
            match store.get(&id) {
                Some(n) => reply("200 OK", json!(n)),
                None => reply("404 Not Found", json!({ "error": "no such note" })),
            }
        }
        _ => reply("404 Not Found", json!({ "error": "not found" })),
    }
}

//! Just enough HTTP/1.1 for the prebind example, over std's blocking sockets:
//! one request per connection (`Connection: close`) on both sides, every read
//! bounded by a timeout and a size limit.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Timeout of connecting to BOSH and of each read from a page.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REQUEST: usize = 64 * 1024;
const MAX_RESPONSE: u64 = 4 * 1024 * 1024;

// ---- server side: the page's request ----

/// An HTTP request from a page.
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut h = self.headers.iter();
        h.find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name=value` in the query string (not percent-decoded).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        let mut pairs = self.query.split('&').filter_map(|kv| kv.split_once('='));
        pairs.find(|(k, _)| *k == name).map(|(_, v)| v)
    }
}

/// Reads one request (headers and a `Content-Length` body).
pub fn read_request(stream: &mut TcpStream) -> Result<Request, String> {
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream.take(MAX_REQUEST as u64));
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(_version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line".into());
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut req = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("truncated headers".into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or("malformed header")?;
        req.headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    if req.header("transfer-encoding").is_some() {
        return Err("chunked request bodies are not supported".into());
    }
    let len = match req.header("content-length") {
        Some(v) => v.parse::<usize>().map_err(|_| "bad Content-Length")?,
        None => 0,
    };
    if len > MAX_REQUEST {
        return Err("request body too large".into());
    }
    req.body = vec![0; len];
    reader
        .read_exact(&mut req.body)
        .map_err(|_| "body shorter than Content-Length")?;
    Ok(req)
}

/// Writes a whole response with CORS headers for `allow_origin`.
pub fn respond(stream: &mut TcpStream, allow_origin: &str, code: u16, ctype: &str, body: &str) {
    let reason = match code {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        502 => "Bad Gateway",
        _ => "Internal Server Error",
    };
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Connection: close\r\nCache-Control: no-store\r\n\
         Access-Control-Allow-Origin: {allow_origin}\r\nVary: Origin\r\n\
         Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n\
         Access-Control-Allow-Headers: Content-Type, Accept\r\nAccess-Control-Max-Age: 600\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()));
}

// ---- client side: the BOSH requests ----

/// A parsed `http://host[:port]/path` URL.
#[derive(Clone, Debug)]
pub struct HttpUrl {
    pub text: String,
    host: String,
    port: u16,
    path: String,
}

impl HttpUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix("http://")
            .ok_or("the BOSH URL must be http:// (no TLS in this example)")?;
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().map_err(|_| "bad port in URL")?),
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err("no host in URL".into());
        }
        Ok(HttpUrl {
            text: text.to_owned(),
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// POSTs `body` and returns the status and body of the answer. Each read
/// waits at most `timeout`.
pub fn post(
    url: &HttpUrl,
    ctype: &str,
    body: &str,
    timeout: Duration,
) -> io::Result<(u16, String)> {
    let host = url.host.trim_start_matches('[').trim_end_matches(']');
    let addr = (host, url.port).to_socket_addrs()?.next();
    let addr = addr.ok_or_else(|| invalid("no address for the host"))?;
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        url.path,
        url.host,
        url.port,
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.take(MAX_RESPONSE).read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// Splits a whole HTTP/1.1 response into its status and (decoded) body.
fn parse_response(raw: &[u8]) -> io::Result<(u16, String)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let end = end.ok_or_else(|| invalid("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| invalid("non-UTF-8 headers"))?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().split_whitespace().nth(1);
    let code: u16 = status
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let (mut chunked, mut length) = (false, None);
    for l in lines {
        let (k, v) = l.split_once(':').unwrap_or((l, ""));
        if k.trim().eq_ignore_ascii_case("transfer-encoding") {
            chunked = v.to_ascii_lowercase().contains("chunked");
        } else if k.trim().eq_ignore_ascii_case("content-length") {
            let n = v.trim().parse::<usize>();
            length = Some(n.map_err(|_| invalid("bad Content-Length"))?);
        }
    }
    let rest = &raw[end + 4..];
    let body = match (chunked, length) {
        (true, _) => dechunk(rest)?,
        (false, Some(n)) => rest.get(..n).ok_or_else(|| invalid("short body"))?.to_vec(),
        (false, None) => rest.to_vec(),
    };
    Ok((code, String::from_utf8_lossy(&body).into_owned()))
}

/// Decodes a `Transfer-Encoding: chunked` body (extensions and trailers ignored).
fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n");
        let eol = eol.ok_or_else(|| invalid("truncated chunk size"))?;
        let size = std::str::from_utf8(&rest[..eol]).map_err(|_| invalid("bad chunk size"))?;
        let size = size.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or_else(|| invalid("truncated chunk"))?;
        out.extend_from_slice(chunk);
        // `size <= rest.len()` here, so `size + 2` cannot overflow.
        let next = rest.get(size..size + 2).filter(|crlf| *crlf == b"\r\n");
        next.ok_or_else(|| invalid("chunk not followed by CRLF"))?;
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_with_length_chunks_or_neither() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(parse_response(r).unwrap(), (200, "abc".into()));
        let r = b"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n4;x=y\r\n<bod\r\n3\r\ny/>\r\n0\r\n\r\n";
        assert_eq!(parse_response(r).unwrap(), (200, "<body/>".into()));
        let r = b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\ngone";
        assert_eq!(parse_response(r).unwrap(), (404, "gone".into()));
        for bad in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd",
            b"HTTP/1.1 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n",
        ] {
            assert!(parse_response(bad).is_err());
        }
    }

    #[test]
    fn urls() {
        let u = HttpUrl::parse("http://127.0.0.1:5280/http-bind").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 5280, "/http-bind")
        );
        let u = HttpUrl::parse("http://[::1]/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[::1]", 80));
        assert!(HttpUrl::parse("https://example.org/http-bind").is_err());
        assert!(HttpUrl::parse("http://:80/").is_err());
    }
}

//! A counting layer between onboard and moto: forwards every request unchanged and records its
//! AWS action (the `Action` form field of the IAM and STS query protocol). It can also answer a
//! given action once with an AWS error instead of forwarding it.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

type Log = Arc<Mutex<Vec<String>>>;
type Faults = Arc<Mutex<Vec<Fault>>>;

/// A canned answer for the next request with `action`.
pub struct Fault {
    pub action: String,
    pub status: u16,
    pub body: String,
}
type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub struct Proxy {
    port: u16,
    log: Log,
    faults: Faults,
    /// Owns the proxy's tasks; dropping it stops the proxy.
    _runtime: Runtime,
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Log::default();
        let faults = Faults::default();
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        let (accept_log, accept_faults) = (log.clone(), faults.clone());
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (log, faults) = (accept_log.clone(), accept_faults.clone());
                let client = client.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        forward(req, upstream, log.clone(), faults.clone(), client.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            port,
            log,
            faults,
            _runtime: runtime,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    pub fn inject(&self, fault: Fault) {
        self.faults.lock().unwrap().push(fault);
    }
}

/// The value of `key` in a URL-encoded form body.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
}

async fn forward(
    req: Request<Incoming>,
    upstream: u16,
    log: Log,
    faults: Faults,
    client: HttpClient,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let action =
        form_value(&body, "Action").unwrap_or_else(|| format!("{} {}", parts.method, parts.uri));
    log.lock().unwrap().push(action.clone());

    let fault = {
        let mut faults = faults.lock().unwrap();
        let index = faults.iter().position(|f| f.action == action);
        index.map(|i| faults.remove(i))
    };
    if let Some(fault) = fault {
        let mut response = Response::new(Full::new(Bytes::from(fault.body)));
        *response.status_mut() = hyper::StatusCode::from_u16(fault.status).unwrap();
        response
            .headers_mut()
            .insert("content-type", "text/xml".parse().unwrap());
        return Ok(response);
    }

    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = Request::builder()
        .method(parts.method)
        .uri(format!("http://127.0.0.1:{upstream}{path}"));
    for (name, value) in &parts.headers {
        request = request.header(name, value);
    }
    let answer = match client.request(request.body(Full::new(body)).unwrap()).await {
        Ok(answer) => answer,
        Err(err) => {
            let mut response = Response::new(Full::new(Bytes::from(format!("proxy: {err}"))));
            *response.status_mut() = hyper::StatusCode::BAD_GATEWAY;
            return Ok(response);
        }
    };
    let (parts, body) = answer.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(Response::from_parts(parts, Full::new(body)))
}

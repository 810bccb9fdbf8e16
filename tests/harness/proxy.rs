//! A counting layer between onboard and moto: forwards every request unchanged and records its
//! AWS action (the `Action` form field of the IAM and STS query protocol).

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
type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub struct Proxy {
    port: u16,
    log: Log,
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
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        let accept_log = log.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (log, client) = (accept_log.clone(), client.clone());
                tokio::spawn(async move {
                    let service =
                        service_fn(move |req| forward(req, upstream, log.clone(), client.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            port,
            log,
            _runtime: runtime,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
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
    log.lock().unwrap().push(action);

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

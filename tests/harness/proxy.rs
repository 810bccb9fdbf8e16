//! A layer between onboard and moto: forwards every request and records its AWS action (the
//! `Action` form field of the IAM and STS query protocol). It can also answer one given action
//! with an AWS error, delay every request, and inject faults from a seed: throttling 400s, 500s,
//! connections dropped before the request reaches moto, and answers lost after moto acted.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

use super::propagation::{self, PropagationCounts, PropagationMode, Simulated, Simulation};

type HttpClient = Client<HttpConnector, Full<Bytes>>;
type Answer = Result<Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>>;

/// What to do with the next request with `action`.
pub(crate) struct Fault {
    pub action: String,
    pub kind: FaultKind,
}

pub(crate) enum FaultKind {
    /// Answer with this status and body instead of moto.
    Answer(u16, String),
    /// Let moto act, then drop the connection before its answer.
    LoseAnswer,
}

/// The kinds of injected faults, counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FaultCounts {
    pub throttled: u32,
    pub server_errors: u32,
    pub dropped: u32,
    pub answers_lost: u32,
}

impl FaultCounts {
    pub(crate) fn total(&self) -> u32 {
        self.throttled + self.server_errors + self.dropped + self.answers_lost
    }
}

/// Faults drawn from a seeded generator (xorshift64*), so a failing run can be replayed.
struct Chaos {
    state: u64,
    /// Faults per thousand requests.
    rate: u64,
}

impl Chaos {
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[derive(Default)]
struct State {
    log: Vec<String>,
    faults: Vec<Fault>,
    chaos: Option<Chaos>,
    counts: FaultCounts,
    delay: Duration,
    in_flight: usize,
    max_in_flight: usize,
    /// Requests in flight and the most at once, by the account they are for (see
    /// [`account_of`]).
    in_flight_by: HashMap<String, (usize, usize)>,
    propagation: Option<Simulation>,
    /// Counts of earlier simulations (a test may switch modes).
    propagation_counts: PropagationCounts,
    hold: Hold,
}

/// Holding one request's answer: the `skip`-th next request of `action` (from 0) is forwarded,
/// and its answer kept back until released, so that a test can kill onboard while the call is
/// in flight.
#[derive(Default)]
struct Hold {
    action: Option<(String, usize)>,
    /// Hold the request before moto sees it, instead of its answer after moto acted.
    request: bool,
    /// Whether a request is being held now.
    holding: bool,
    released: bool,
}

enum Injected {
    None,
    Answer(u16, String),
    Drop,
    LoseAnswer,
}

pub(crate) struct Proxy {
    port: u16,
    state: Arc<Mutex<State>>,
    /// Owns the proxy's tasks; dropping it stops the proxy.
    _runtime: Runtime,
}

impl Proxy {
    pub(crate) fn start(upstream: u16) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        // No delayed-ACK stalls of the proxy's own making: Nagle's algorithm off on both sides
        // (TCP_NODELAY), and each request and answer written in one buffer (head and body
        // together) instead of a vectored write of parts.
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: HttpClient = Client::builder(TokioExecutor::new())
            .http1_writev(false)
            .build(connector);
        let accept_state = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (state, client) = (accept_state.clone(), client.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        forward(req, upstream, state.clone(), client.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .writev(false)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            port,
            state,
            _runtime: runtime,
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn snapshot(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub(crate) fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().unwrap().log)
    }

    pub(crate) fn inject(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push(fault);
    }

    /// Injects faults into about `per_thousand` of every thousand requests, drawn from `seed`;
    /// `None` stops.
    pub(crate) fn chaos(&self, seed_and_rate: Option<(u64, u64)>) {
        self.state.lock().unwrap().chaos = seed_and_rate.map(|(seed, rate)| Chaos {
            state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            rate,
        });
    }

    pub(crate) fn fault_counts(&self) -> FaultCounts {
        self.state.lock().unwrap().counts
    }

    pub(crate) fn delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Simulates IAM's propagation from now on (see `propagation.rs`); `None` stops.
    pub(crate) fn propagation(&self, mode: Option<PropagationMode>) {
        let mut state = self.state.lock().unwrap();
        if let Some(old) = state.propagation.take() {
            add(&mut state.propagation_counts, old.counts);
        }
        state.propagation = mode.map(Simulation::new);
    }

    /// Changes the simulation's rate, keeping its windows.
    pub(crate) fn propagation_rate(&self, per_thousand: u64) {
        if let Some(simulation) = self.state.lock().unwrap().propagation.as_mut() {
            simulation.set_rate(per_thousand);
        }
    }

    /// Starts the propagation windows (of entities of `kind` only) again now.
    pub(crate) fn restart_propagation(&self, kind: Option<&str>) {
        if let Some(simulation) = self.state.lock().unwrap().propagation.as_mut() {
            simulation.restart(kind);
        }
    }

    /// Ends every propagation window: IAM shows everything as it is from now on.
    pub(crate) fn settle(&self) {
        if let Some(simulation) = self.state.lock().unwrap().propagation.as_mut() {
            simulation.settle();
        }
    }

    /// The answers the propagation simulation gave so far.
    pub(crate) fn propagation_counts(&self) -> PropagationCounts {
        let state = self.state.lock().unwrap();
        let mut counts = state.propagation_counts;
        if let Some(simulation) = &state.propagation {
            add(&mut counts, simulation.counts);
        }
        counts
    }

    /// Holds the answer of the `skip`-th next request of `action` (after moto acted) until
    /// [`Proxy::release`].
    pub(crate) fn hold(&self, action: &str, skip: usize, request: bool) {
        let mut state = self.state.lock().unwrap();
        state.hold = Hold {
            action: Some((action.to_owned(), skip)),
            request,
            ..Hold::default()
        };
    }

    /// Whether a request's answer is being held now.
    pub(crate) fn holding(&self) -> bool {
        self.state.lock().unwrap().hold.holding
    }

    /// Lets a held answer go (to a client that may be gone).
    pub(crate) fn release(&self) {
        self.state.lock().unwrap().hold.released = true;
    }

    /// The most requests that were in flight at once since the last call; resets.
    pub(crate) fn take_max_in_flight(&self) -> usize {
        std::mem::take(&mut self.state.lock().unwrap().max_in_flight)
    }

    /// The most requests that were in flight at once for each account since the last call
    /// (keyed as [`account_of`] says); resets.
    pub(crate) fn take_max_in_flight_by_account(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut self.state.lock().unwrap().in_flight_by)
            .into_iter()
            .map(|(account, (_, max))| (account, max))
            .collect()
    }
}

fn add(total: &mut PropagationCounts, more: PropagationCounts) {
    total.missing += more.missing;
    total.denied += more.denied;
    total.invalid_principal += more.invalid_principal;
    total.stale += more.stale;
}

/// The value of `key` in a URL-encoded form body.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_owned())
}

fn error_body(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
    )
}

/// Records the request and decides what to inject.
fn admit(state: &Mutex<State>, action: &str, params: &propagation::Params) -> (Injected, Duration) {
    let mut state = state.lock().unwrap();
    state.log.push(action.to_owned());
    let delay = state.delay;
    if let Some(simulated) = state
        .propagation
        .as_mut()
        .and_then(|s| s.before(action, params))
    {
        let injected = match simulated {
            Simulated::Error(status, body) => Injected::Answer(status, body),
            Simulated::Body(body) => Injected::Answer(200, body),
        };
        return (injected, delay);
    }
    if let Some(index) = state.faults.iter().position(|f| f.action == action) {
        let injected = match state.faults.remove(index).kind {
            FaultKind::Answer(status, body) => Injected::Answer(status, body),
            FaultKind::LoseAnswer => Injected::LoseAnswer,
        };
        return (injected, delay);
    }
    let Some(chaos) = state.chaos.as_mut() else {
        return (Injected::None, delay);
    };
    let draw = chaos.next();
    if draw % 1000 >= chaos.rate {
        return (Injected::None, delay);
    }
    let injected = match (draw / 1000) % 4 {
        0 => {
            state.counts.throttled += 1;
            Injected::Answer(400, error_body("Throttling", "Rate exceeded"))
        }
        1 => {
            state.counts.server_errors += 1;
            Injected::Answer(500, error_body("ServiceFailure", "injected server error"))
        }
        2 => {
            state.counts.dropped += 1;
            Injected::Drop
        }
        _ => {
            state.counts.answers_lost += 1;
            Injected::LoseAnswer
        }
    };
    (injected, delay)
}

/// Marks a request held until the test releases it.
async fn wait_for_release(state: &Mutex<State>) {
    state.lock().unwrap().hold.holding = true;
    while !state.lock().unwrap().hold.released {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    state.lock().unwrap().hold.holding = false;
}

/// Whether this request of `action` is the one to hold.
fn take_hold(state: &Mutex<State>, action: &str) -> bool {
    let mut state = state.lock().unwrap();
    match &mut state.hold.action {
        Some((held, skip)) if held == action => {
            if *skip == 0 {
                state.hold.action = None;
                true
            } else {
                *skip -= 1;
                false
            }
        }
        _ => false,
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight(Arc<Mutex<State>>);

impl InFlight {
    fn start(state: &Arc<Mutex<State>>) -> Self {
        let mut guard = state.lock().unwrap();
        guard.in_flight += 1;
        guard.max_in_flight = guard.max_in_flight.max(guard.in_flight);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().unwrap().in_flight -= 1;
    }
}

/// The account a request is for: the account of the role an `AssumeRole` assumes, else the
/// access key that signed it (moto gives each account reached through a role its own keys).
fn account_of(action: &str, params: &propagation::Params, headers: &hyper::HeaderMap) -> String {
    let assumed = params.get("RoleArn").and_then(|arn| arn.split(':').nth(4));
    if let Some(account) = assumed.filter(|_| action == "AssumeRole") {
        return account.to_owned();
    }
    headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|a| a.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .unwrap_or_default()
        .to_owned()
}

/// Counts a request in flight for its account for as long as it lives.
struct InFlightFor(Arc<Mutex<State>>, String);

impl InFlightFor {
    fn start(state: &Arc<Mutex<State>>, account: String) -> Self {
        let mut guard = state.lock().unwrap();
        let (now, max) = guard.in_flight_by.entry(account.clone()).or_default();
        *now += 1;
        *max = (*max).max(*now);
        InFlightFor(state.clone(), account)
    }
}

impl Drop for InFlightFor {
    fn drop(&mut self) {
        if let Some((now, _)) = self.0.lock().unwrap().in_flight_by.get_mut(&self.1) {
            *now -= 1;
        }
    }
}

async fn forward(
    req: Request<Incoming>,
    upstream: u16,
    state: Arc<Mutex<State>>,
    client: HttpClient,
) -> Answer {
    let _in_flight = InFlight::start(&state);
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    // The query protocol (IAM, STS) names the action in the form, the JSON protocol
    // (Organizations) in X-Amz-Target ("AWSOrganizationsV20161128.ListAccounts").
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .map(str::to_owned);
    let action = form_value(&body, "Action")
        .or(target)
        .unwrap_or_else(|| format!("{} {}", parts.method, parts.uri));
    let params = propagation::form(&body);
    let _in_flight_for = InFlightFor::start(&state, account_of(&action, &params, &parts.headers));
    let (injected, delay) = admit(&state, &action, &params);
    let held = take_hold(&state, &action);
    let hold_request = held && state.lock().unwrap().hold.request;
    if hold_request {
        wait_for_release(&state).await;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match injected {
        Injected::Answer(status, body) => {
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
            response
                .headers_mut()
                .insert("content-type", "text/xml".parse().unwrap());
            return Ok(response);
        }
        Injected::Drop => return Err("injected: connection dropped before the request".into()),
        Injected::None | Injected::LoseAnswer => {}
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
    let (mut parts, body) = answer.into_parts();
    let mut body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    if parts.status.is_success() {
        let mut state = state.lock().unwrap();
        if let Some(simulation) = state.propagation.as_mut() {
            let text = String::from_utf8_lossy(&body).into_owned();
            simulation.after(&action, &params, &text);
            let rewrite = simulation.rewrite(&action, &params);
            let rewritten = Simulation::apply(&rewrite, text.clone());
            if rewritten != text {
                body = Bytes::from(rewritten);
                parts.headers.remove(hyper::header::CONTENT_LENGTH);
            }
        }
    }
    if held && !hold_request {
        wait_for_release(&state).await;
    }
    if matches!(injected, Injected::LoseAnswer) {
        return Err("injected: answer lost after moto acted".into());
    }
    Ok(Response::from_parts(parts, Full::new(body)))
}

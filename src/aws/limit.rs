//! A bound on the AWS requests in flight at once (`--concurrency`), for every call onboard makes:
//! reads, writes and STS alike. `--concurrency 1` makes a run strictly sequential.

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Semaphore;

/// An HTTP client that lets at most `permits` requests be in flight.
#[derive(Debug, Clone)]
pub(super) struct Limited {
    inner: SharedHttpClient,
    permits: Arc<Semaphore>,
}

impl Limited {
    pub(super) fn new(inner: SharedHttpClient, concurrency: usize) -> Self {
        Limited {
            inner,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }
}

impl HttpClient for Limited {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: self.permits.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, permits) = (self.inner.clone(), self.permits.clone());
        HttpConnectorFuture::new(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            inner.call(request).await
        })
    }
}

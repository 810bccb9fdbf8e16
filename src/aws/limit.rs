//! A bound on the AWS requests in flight at once in one account (`--concurrency`): reads,
//! writes and STS alike. IAM throttles each account on its own, so each account onboard works
//! in gets a bound of its own ([`Limited::for_another_account`]), the `sts:AssumeRole` that
//! reaches it included; `--account-concurrency` bounds how many accounts run at once.
//! `--concurrency 1` makes the run in each account strictly sequential.

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Semaphore;

/// An HTTP client that lets at most `concurrency` requests be in flight.
#[derive(Debug, Clone)]
pub(super) struct Limited {
    inner: SharedHttpClient,
    concurrency: usize,
    permits: Arc<Semaphore>,
}

impl Limited {
    pub(super) fn new(inner: SharedHttpClient, concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Limited {
            inner,
            concurrency,
            permits: Arc::new(Semaphore::new(concurrency)),
        }
    }

    /// The same connections with a bound of their own, for the requests made for another
    /// account.
    pub(super) fn for_another_account(&self) -> Self {
        Limited::new(self.inner.clone(), self.concurrency)
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

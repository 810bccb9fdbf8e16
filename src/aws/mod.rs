//! The only module that speaks to AWS: loading configuration the way the aws CLI does, reading
//! observed state, executing single plan steps, and the sts calls behind verification.

mod accounts;
mod converge;
mod details;
mod errors;
mod execute;
mod inventory;
mod limit;
mod observe;
mod propagation;
mod sts;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;

pub(crate) use converge::no_retry;
pub(crate) use details::{KeyUse, RoleDetails, UserDetails};
pub(crate) use errors::{Doing, is_code};
pub(crate) use observe::{RolesFound, decode, missing};
pub(crate) use propagation::{Attempt, NotYet, Propagation};
pub(crate) use propagation::{DEFAULT_TIMEOUT as DEFAULT_PROPAGATION_TIMEOUT, Waits};
pub(crate) use sts::{AssumedCredentials, Caller};

use crate::cli::GlobalArgs;

/// Region used when neither `--region` nor the profile or environment names one: IAM is global
/// and STS answers in every region, so a region only picks the STS endpoint.
const FALLBACK_REGION: &str = "us-east-1";

/// How onboard retries: the SDK's standard retry for throttling and 5xx, onboard's own loops
/// for calls that are not idempotent, and [`propagation`] for what IAM has not propagated yet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetrySettings {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    /// The deadline of all propagation waits of a run (`--propagation-timeout`).
    pub propagation_timeout: Duration,
    /// How long a run creating an access key may take to hand it over (see handoff::record).
    pub key_grace: Duration,
}

impl RetrySettings {
    pub(crate) fn from_args(global: &GlobalArgs) -> Self {
        RetrySettings {
            max_attempts: global.max_attempts.max(1),
            initial_backoff: Duration::from_millis(global.retry_initial_backoff_ms),
            propagation_timeout: Duration::from_secs(global.propagation_timeout),
            key_grace: Duration::from_secs(global.key_grace_seconds),
        }
    }
}

/// Clients for the services onboard uses, sharing one configuration.
#[derive(Debug, Clone)]
pub(crate) struct Aws {
    config: SdkConfig,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    retry: RetrySettings,
    concurrency: usize,
    /// The bounded connections of these clients (`None` for clients made from a given
    /// configuration, as tests make them): each other account gets a bound of its own.
    http: Option<limit::Limited>,
    /// The account these clients act in, when they were made for it by [`Aws::in_account`].
    account: Option<Caller>,
    /// What this run knows exists, and its waits for IAM to propagate.
    propagation: std::sync::Arc<Propagation>,
}

impl Aws {
    /// Loads configuration through aws-config's standard chains (flags, then `AWS_*` variables,
    /// then the profile), as the aws CLI does.
    pub(crate) async fn connect(global: &GlobalArgs) -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let retry = RetrySettings::from_args(global);
        let retry_config = RetryConfig::standard()
            .with_max_attempts(retry.max_attempts)
            .with_initial_backoff(retry.initial_backoff);
        let http = limit::Limited::new(http, global.concurrency.into());
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http.clone())
            .retry_config(retry_config);
        if let Some(profile) = &global.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &global.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &global.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let mut config = loader.load().await;
        if config.region().is_none() {
            tracing::debug!("no region configured; using {FALLBACK_REGION} for STS");
            config = config
                .into_builder()
                .region(Region::new(FALLBACK_REGION))
                .build();
        }
        let propagation = Propagation::new(retry.propagation_timeout, jitter_seed());
        let mut aws = Self::from_config(config, retry, global.concurrency.into(), propagation);
        aws.http = Some(http);
        aws
    }

    /// Clients for an already loaded configuration.
    pub(crate) fn from_config(
        config: SdkConfig,
        retry: RetrySettings,
        concurrency: usize,
        propagation: Propagation,
    ) -> Self {
        Aws {
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            config,
            retry,
            concurrency,
            http: None,
            account: None,
            propagation: std::sync::Arc::new(propagation),
        }
    }

    /// This run's knowledge of what exists and its waits for propagation.
    pub(crate) fn propagation(&self) -> &Propagation {
        &self.propagation
    }

    /// How long this run (in this account) waited for IAM to propagate.
    pub(crate) fn waits(&self) -> Waits {
        self.propagation.waits()
    }

    /// How many AWS requests may be in flight at once in this account (`--concurrency`).
    pub(crate) fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// How long a run creating an access key may take to hand it over.
    pub(crate) fn key_grace(&self) -> Duration {
        self.retry.key_grace
    }

    /// The region the STS client uses.
    pub(crate) fn region(&self) -> &str {
        self.config.region().map_or(FALLBACK_REGION, Region::as_ref)
    }
}

/// A seed for the jitter of propagation waits; only spreads retries, so the clock will do when
/// the system's random source does not answer.
fn jitter_seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_ok() {
        return u64::from_le_bytes(bytes);
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| {
            u64::try_from(d.as_nanos() % u128::from(u64::MAX)).unwrap_or(1)
        })
}

//! The only module that speaks to AWS: loading configuration the way the aws CLI does, reading
//! observed state, executing single plan steps, and the sts calls behind verification.

mod errors;
mod execute;
mod inventory;
mod observe;
mod sts;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;

pub use sts::{AssumedCredentials, Caller};

use crate::cli::GlobalArgs;

/// Region used when neither `--region` nor the profile or environment names one: IAM is global
/// and STS answers in every region, so a region only picks the STS endpoint.
const FALLBACK_REGION: &str = "us-east-1";

/// Clients for the services onboard uses, sharing one configuration.
#[derive(Debug, Clone)]
pub struct Aws {
    config: SdkConfig,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
}

impl Aws {
    /// Loads configuration through aws-config's standard chains (flags, then `AWS_*` variables,
    /// then the profile), as the aws CLI does.
    pub async fn connect(global: &GlobalArgs) -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
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
        Self::from_config(config)
    }

    /// Clients for an already loaded configuration.
    pub fn from_config(config: SdkConfig) -> Self {
        Aws {
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            config,
        }
    }

    /// The region the STS client uses.
    pub fn region(&self) -> &str {
        self.config.region().map_or(FALLBACK_REGION, Region::as_ref)
    }
}

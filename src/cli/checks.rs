//! Checks of the global flags (and the variables standing in for them) that clap cannot make,
//! before any command runs, so that a bad value is one line naming it instead of an SDK error
//! after the first call.

use super::GlobalArgs;
use crate::error::{Error, Result, Usage};

/// Variables the SDK reads endpoints from, besides `--endpoint-url`.
const ENDPOINT_VARIABLES: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
];

/// Checks `--max-attempts` and every endpoint URL given.
pub(crate) fn check_global(global: &GlobalArgs) -> Result<()> {
    if global.max_attempts == 0 {
        return Err(Error::from(Usage::NoAttempts));
    }
    if let Some(url) = &global.endpoint_url {
        check_endpoint_url("--endpoint-url", url)?;
    }
    for variable in ENDPOINT_VARIABLES {
        if let Some(url) = std::env::var_os(variable).filter(|v| !v.is_empty()) {
            check_endpoint_url(variable, &url.to_string_lossy())?;
        }
    }
    Ok(())
}

/// An endpoint is an `http` or `https` URL with a host.
fn check_endpoint_url(flag: &'static str, url: &str) -> Result<()> {
    let parsed = url::Url::parse(url);
    let ok = parsed
        .as_ref()
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if ok {
        return Ok(());
    }
    Err(Error::from(Usage::NotEndpointUrl {
        flag,
        url: url.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_need_a_scheme_and_a_host() {
        for good in ["http://127.0.0.1:5000", "https://iam.amazonaws.com/"] {
            check_endpoint_url("--endpoint-url", good).unwrap();
        }
        for bad in ["not a url", "localhost:5000", "ftp://host", "http://"] {
            let err = check_endpoint_url("--endpoint-url", bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("--endpoint-url '{bad}' is not an endpoint URL")),
                "{err}"
            );
        }
    }
}

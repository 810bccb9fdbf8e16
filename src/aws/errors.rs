//! Turning SDK errors into onboard's: which step failed, with the AWS code and message.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::error::Error;

/// Wraps an SDK error with what onboard was doing. A service error keeps its code and message;
/// anything else (no connection, timeout, no credentials) keeps the whole cause chain.
/// (`DisplayErrorContext` would add the raw response's debug dump: not for people.)
pub(crate) fn aws_error<E, R>(doing: impl Into<String>, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + 'static,
{
    match err.code() {
        Some(code) => {
            let mut message = err.message().unwrap_or_default().to_owned();
            if REFUSED_CREDENTIALS.contains(&code) {
                message.push_str(
                    " (the credentials were refused: refresh them, for example with aws sso login, or pick \
                     another --profile)",
                );
            }
            Error::aws(doing, Some(code), message)
        }
        None if has_cause::<CredentialsError>(&err) => {
            let hint = "no usable AWS credentials: pick a profile with --profile or AWS_PROFILE (aws configure, \
                        aws sso login), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
            let chain = cause_chain(&err);
            let first_line = chain
                .lines()
                .next()
                .unwrap_or_default()
                .trim_end_matches(" Attempted:");
            Error::aws(doing, None, format!("{hint} ({first_line})"))
        }
        None => Error::aws(doing, None, cause_chain(&err)),
    }
}

/// AWS error codes that mean the caller's credentials are expired or not valid.
const REFUSED_CREDENTIALS: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
];

/// Whether an error of type `T` is among the causes of `err`.
fn has_cause<T: StdError + 'static>(err: &(dyn StdError + 'static)) -> bool {
    causes(err).any(|cause| cause.downcast_ref::<T>().is_some())
}

/// `err` and its sources, outermost first.
fn causes<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&err| err.source())
}

/// "dispatch failure: io error: ... Connection refused": each cause's own message, once.
fn cause_chain(err: &(dyn StdError + 'static)) -> String {
    let mut messages: Vec<String> = Vec::new();
    for message in causes(err).map(ToString::to_string) {
        if !messages.iter().any(|m| m.contains(&message)) {
            messages.push(message);
        }
    }
    messages.join(": ")
}

/// Whether an SDK error is the service error `code`, such as `NoSuchEntity`.
pub(crate) fn is_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, code: &str) -> bool {
    err.code() == Some(code)
}

/// Extension for results of SDK calls: `.doing(|| format!("creating role {name}"))?`.
pub(crate) trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T, E, R> Doing<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + 'static,
{
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|err| aws_error(what(), err))
    }
}

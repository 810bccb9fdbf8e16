//! Turning SDK errors into onboard's: which step failed, with the AWS code and message.

use std::error::Error as StdError;
use std::fmt::Debug;

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
        Some(code) => Error::aws(
            doing,
            Some(code),
            err.message().unwrap_or_default().to_owned(),
        ),
        None => Error::aws(doing, None, cause_chain(&err)),
    }
}

/// "dispatch failure: io error: ... Connection refused": each cause's own message, once.
fn cause_chain(err: &(dyn StdError + 'static)) -> String {
    let mut messages: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(err) = next {
        let message = err.to_string();
        if !messages.iter().any(|m| m.contains(&message)) {
            messages.push(message);
        }
        next = err.source();
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

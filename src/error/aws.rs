//! What an AWS call failed with, kept whole: the SDK's error, read through
//! `ProvideErrorMetadata` (`.code()`, `.message()`), never through its text.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::ProvideErrorMetadata;

/// An SDK error of any operation of any AWS service.
pub(crate) trait SdkFailure:
    StdError + ProvideErrorMetadata + Send + Sync + 'static
{
}

impl<T: StdError + ProvideErrorMetadata + Send + Sync + 'static> SdkFailure for T {}

/// The source of [`crate::error::Error::Aws`].
#[derive(Debug)]
pub(crate) enum AwsFailure {
    /// The SDK's error, whole: a service error (with a code and message), or no answer at all
    /// (no connection, a timeout, no credentials), with its chain of causes.
    Sdk(Box<dyn SdkFailure>),
    /// AWS answered, but not with what onboard can use ("the answer holds no resource").
    Answer(String),
}

/// AWS error codes that mean the caller's credentials are expired or not valid.
const REFUSED_CREDENTIALS: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
];

impl AwsFailure {
    /// The AWS error code (`NoSuchEntity`), when AWS answered with one.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            AwsFailure::Sdk(err) => err.code(),
            AwsFailure::Answer(_) => None,
        }
    }

    /// AWS's message for the error, when it gave one.
    pub(crate) fn message(&self) -> Option<&str> {
        match self {
            AwsFailure::Sdk(err) => err.message(),
            AwsFailure::Answer(message) => Some(message),
        }
    }
}

/// A service error shows as `CODE: MESSAGE`; anything else (no connection, timeout, no
/// credentials) as its whole cause chain, each message once. (`DisplayErrorContext` would add
/// the raw response's debug dump: not for people.)
impl fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sdk: &dyn SdkFailure = match self {
            AwsFailure::Answer(message) => return f.write_str(message),
            AwsFailure::Sdk(sdk) => sdk.as_ref(),
        };
        let err: &(dyn StdError + 'static) = sdk;
        match sdk.code() {
            Some(code) => {
                write!(f, "{code}: {}", sdk.message().unwrap_or_default())?;
                if REFUSED_CREDENTIALS.contains(&code) {
                    f.write_str(
                        " (the credentials were refused: refresh them, for example with aws sso login, or \
                         pick another --profile)",
                    )?;
                }
                Ok(())
            }
            None if has_cause::<CredentialsError>(err) => {
                let chain = cause_chain(err);
                let first_line = chain
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches(" Attempted:");
                write!(
                    f,
                    "no usable AWS credentials: pick a profile with --profile or AWS_PROFILE (aws configure, \
                     aws sso login), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ({first_line})"
                )
            }
            None => f.write_str(&cause_chain(err)),
        }
    }
}

/// The display above already shows the SDK error's causes, each once; the SDK error itself is
/// reached through [`AwsFailure::Sdk`] and read with `.code()`.
impl StdError for AwsFailure {}

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

/// "dispatch failure: io error: ... Connection refused": each cause's own message, once (a
/// cause whose message an outer one already holds is left out).
pub(crate) fn cause_chain(err: &(dyn StdError + 'static)) -> String {
    let mut messages: Vec<String> = Vec::new();
    for message in causes(err).map(ToString::to_string) {
        if !messages.iter().any(|m| m.contains(&message)) {
            messages.push(message);
        }
    }
    messages.join(": ")
}

//! Turning SDK errors into onboard's: which step failed, with the AWS code and message.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::error::{Error, RefusalCause};
use crate::plan::Action;

/// Wraps an SDK error with what onboard was doing. A service error keeps its code and message;
/// anything else (no connection, timeout, no credentials) keeps the whole cause chain.
/// (`DisplayErrorContext` would add the raw response's debug dump: not for people.)
#[expect(
    clippy::needless_pass_by_value,
    reason = "issue 15 keeps the SDK error as the source: it will be consumed"
)]
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
pub(super) fn cause_chain(err: &(dyn StdError + 'static)) -> String {
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

/// An `AccessDenied` answer to a write, explained; any other error as it is. Why IAM refused is
/// only in AWS's message ("... with an explicit deny in a service control policy", "... because
/// no identity-based policy allows the iam:CreateRole action"): AWS gives no code for it, so
/// this is the one place that reads the message's text.
pub(crate) fn refusal(action: &Action, err: Error) -> Error {
    let Error::Aws {
        doing,
        code: Some(code),
        message,
    } = err
    else {
        return err;
    };
    if code != "AccessDenied" {
        return Error::Aws {
            doing,
            code: Some(code),
            message,
        };
    }
    let creates_without_boundary = match action {
        Action::CreateRole(role) => role.permissions_boundary.is_none(),
        Action::CreateUser(_) => true,
        _ => false,
    };
    let cause = if message.contains("service control policy") {
        RefusalCause::ServiceControlPolicy
    } else if message.contains("permissions boundary") {
        RefusalCause::CallerBoundary
    } else if message.contains("explicit deny in an identity-based policy")
        && creates_without_boundary
    {
        RefusalCause::RequiredBoundary
    } else if let Some(denied) = denied_action(&message) {
        RefusalCause::MissingPermission { action: denied }
    } else {
        RefusalCause::Unknown
    };
    Error::Refused {
        doing,
        message,
        cause,
    }
}

/// The action in "... is not authorized to perform: iam:CreateRole on resource: ...".
fn denied_action(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("not authorized to perform: ")?;
    let action = rest.split_whitespace().next()?;
    Some(action.trim_end_matches([',', '.']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(message: &str) -> Error {
        Error::aws("creating role R", Some("AccessDenied"), message.to_owned())
    }

    fn delete_role() -> Action {
        Action::DeleteRole(crate::plan::DeleteRole { role: "R".into() })
    }

    /// AWS's messages, verbatim in form: which cause each one names.
    #[test]
    fn access_denied_names_its_likely_cause() {
        let user = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: \
                    iam:CreateRole on resource: arn:aws:iam::111122223333:role/R";
        let cases = [
            (
                format!("{user} with an explicit deny in a service control policy"),
                RefusalCause::ServiceControlPolicy,
            ),
            (
                format!("{user} because no permissions boundary allows the iam:CreateRole action"),
                RefusalCause::CallerBoundary,
            ),
            (
                format!("{user} because no identity-based policy allows the iam:CreateRole action"),
                RefusalCause::MissingPermission {
                    action: "iam:CreateRole".into(),
                },
            ),
            ("Access denied".to_owned(), RefusalCause::Unknown),
        ];
        for (message, cause) in cases {
            let Error::Refused { cause: found, .. } = refusal(&delete_role(), denied(&message))
            else {
                panic!("not a refusal: {message}")
            };
            assert_eq!(found, cause, "{message}");
        }
        let other = refusal(
            &delete_role(),
            Error::aws("x", Some("NoSuchEntity"), "gone".into()),
        );
        assert_eq!(other.aws_code(), Some("NoSuchEntity"));
    }
}

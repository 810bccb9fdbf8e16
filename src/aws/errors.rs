//! Turning SDK errors into onboard's: which step failed, with the SDK's error kept whole.
//!
//! Where onboard reads an AWS message's text, because AWS gives no code for what it needs to
//! know (each listed in the README's error section):
//! - [`refusal`]: why an `AccessDenied` was refused (a service control policy, a permissions
//!   boundary, a missing permission) and the action it names;
//! - [`is_invalid_principal`]: a `MalformedPolicyDocument` that names a principal IAM does not
//!   know yet (a role created moments ago), which propagation waits out.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::error::{AwsFailure, Error, RefusalCause};
use crate::plan::Action;

pub(super) use crate::error::cause_chain;

/// Wraps an SDK error with what onboard was doing. The SDK error is kept as the source: a
/// service error is read through its code and message, anything else (no connection, timeout,
/// no credentials) shows its cause chain.
pub(crate) fn aws_error<E, R>(doing: impl Into<String>, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    Error::Aws {
        doing: doing.into(),
        source: AwsFailure::Sdk(Box::new(err)),
    }
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
    R: Debug + Send + Sync + 'static,
{
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|err| aws_error(what(), err))
    }
}

/// An `AccessDenied` answer to a write, explained; any other error as it is. Why IAM refused is
/// only in AWS's message ("... with an explicit deny in a service control policy", "... because
/// no identity-based policy allows the iam:CreateRole action"): AWS gives no code for it, so
/// this reads the message's text.
pub(crate) fn refusal(action: &Action, err: Error) -> Error {
    let Error::Aws { doing, source } = err else {
        return err;
    };
    if source.code() != Some("AccessDenied") {
        return Error::Aws { doing, source };
    }
    let message = source.message().unwrap_or_default();
    let creates_without_boundary = action.creates_without_boundary();
    let cause = if message.contains("service control policy") {
        RefusalCause::ServiceControlPolicy
    } else if message.contains("permissions boundary") {
        RefusalCause::CallerBoundary
    } else if message.contains("explicit deny in an identity-based policy")
        && creates_without_boundary
    {
        RefusalCause::RequiredBoundary
    } else if let Some(denied) = denied_action(message) {
        RefusalCause::MissingPermission { action: denied }
    } else {
        RefusalCause::Unknown
    };
    Error::Refused {
        doing,
        source,
        cause,
    }
}

/// Whether a `MalformedPolicyDocument` is IAM's "Invalid principal in policy": IAM's only sign
/// of a principal it does not know (yet) is the message, with no code of its own; the Terraform
/// provider matches the same text.
pub(crate) fn is_invalid_principal(err: &Error) -> bool {
    let Error::Aws { source, .. } = err else {
        return false;
    };
    source.code() == Some("MalformedPolicyDocument")
        && source
            .message()
            .is_some_and(|m| m.contains("Invalid principal"))
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

    use aws_sdk_iam::error::ErrorMetadata;
    use aws_sdk_iam::operation::get_role::GetRoleError;

    fn service_error(code: &str, message: &str) -> SdkError<GetRoleError, ()> {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        SdkError::service_error(GetRoleError::generic(meta), ())
    }

    /// The SDK error stays whole as the source, read through its code.
    #[test]
    fn the_sdk_error_is_kept_as_the_source_and_read_by_its_code() {
        let err = aws_error(
            "reading role R",
            service_error("NoSuchEntity", "The role with name R cannot be found."),
        );
        assert_eq!(
            err.to_string(),
            "reading role R: NoSuchEntity: The role with name R cannot be found."
        );
        assert_eq!(err.aws_code(), Some("NoSuchEntity"));
        let Some(AwsFailure::Sdk(sdk)) = err.source().and_then(|s| s.downcast_ref::<AwsFailure>())
        else {
            panic!("the source is not the SDK error: {err:?}")
        };
        let sdk: &(dyn StdError + 'static) = sdk.as_ref();
        assert!(sdk.downcast_ref::<SdkError<GetRoleError, ()>>().is_some());
    }

    #[test]
    fn refused_credentials_say_how_to_refresh_them() {
        let err = aws_error(
            "reading the caller identity",
            service_error(
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
        );
        assert_eq!(
            err.to_string(),
            "reading the caller identity: ExpiredToken: The security token included in the request \
             is expired (the credentials were refused: refresh them, for example with aws sso login, \
             or pick another --profile)"
        );
    }

    /// No answer at all: no code, and the causes shown each once.
    #[test]
    fn errors_without_an_answer_show_their_causes_once() {
        let timeout = SdkError::<GetRoleError, ()>::timeout_error(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "operation timed out",
        ));
        let err = aws_error("reading role R", timeout);
        assert_eq!(err.aws_code(), None);
        assert_eq!(
            err.to_string(),
            "reading role R: request has timed out: operation timed out"
        );
        // Shown by main through the chain: the source's text is not repeated.
        let partial = Error::Partial {
            source: Box::new(err),
            done: vec!["created role R".into()],
            total: 2,
        };
        assert_eq!(
            crate::error::one_line(&anyhow::Error::from(partial)),
            "stopped after 1 of 2 steps had completed (created role R): run the same command again \
             to finish: reading role R: request has timed out: operation timed out"
        );
    }

    #[test]
    fn a_refusal_keeps_the_sdk_error_and_reads_the_same() {
        let message = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: \
                       iam:DeleteRole on resource: role R";
        let err = refusal(
            &delete_role(),
            aws_error("deleting role R", service_error("AccessDenied", message)),
        );
        assert_eq!(err.aws_code(), Some("AccessDenied"));
        assert_eq!(
            err.to_string(),
            format!(
                "deleting role R: AccessDenied: {message} (your identity lacks the permission \
                 iam:DeleteRole: grant it, or use an identity that has it)"
            )
        );
    }

    #[test]
    fn invalid_principal_is_told_by_the_message_of_a_malformed_policy_document() {
        let invalid = aws_error(
            "creating role R",
            service_error(
                "MalformedPolicyDocument",
                "Invalid principal in policy: \"AWS\":\"x\"",
            ),
        );
        assert!(is_invalid_principal(&invalid));
        let syntax = aws_error(
            "creating role R",
            service_error("MalformedPolicyDocument", "Syntax errors in policy."),
        );
        assert!(!is_invalid_principal(&syntax));
        let other_code = aws_error(
            "creating role R",
            service_error("InvalidInput", "Invalid principal in policy"),
        );
        assert!(!is_invalid_principal(&other_code));
    }
}

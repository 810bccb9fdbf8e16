//! The library's typed errors and the exit codes they map to.

use std::process::ExitCode;

mod aws;
mod usage;

pub(crate) use aws::{AwsFailure, cause_chain};
pub(crate) use usage::{Limit, Usage};

use crate::kinds::Kind;

/// Everything that can go wrong inside onboard, grouped by who has to act.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The user asked for something onboard cannot do as given (exit code 2). Boxed, as is
    /// `Limit`: they are large and rare, and every `Result` of the crate carries an `Error`.
    #[error(transparent)]
    Usage(Box<Usage>),

    /// A value IAM or STS would refuse (exit code 2).
    #[error(transparent)]
    Limit(Box<Limit>),

    /// A catalog entry is malformed: a bug in a built-in entry or a user's catalog file.
    #[error("catalog {vendor}: {message}")]
    Catalog { vendor: String, message: String },

    /// A resource with the name onboard wants exists but onboard did not create it.
    #[error(
        "{kind} {name} already exists and was not created by onboard (it has no managed-by=onboard tag); \
         onboard will not take it over: delete or rename it, or pick other names with --name-prefix/--name-suffix"
    )]
    NotOwned { kind: Kind, name: String },

    /// An AWS call failed; `doing` says which step ("creating role StreamkapInstallAccess"). The
    /// SDK's error is the source, whole; its text is part of this one's, so that the error reads
    /// the same wherever it is shown (a chain printed with [`one_line`] shows it once).
    #[error("{doing}: {source}")]
    Aws {
        doing: String,
        #[source]
        source: AwsFailure,
    },

    /// Some steps of a plan ran before one failed: says what was done.
    #[error(
        "stopped after {} of {total} steps had completed ({}): {}",
        done.len(),
        done.join(", "),
        if matches!(**source, Error::Refused { .. }) {
            "once the caller may do what was refused, run the same command again to finish, or onboard teardown to remove them"
        } else {
            "run the same command again to finish"
        }
    )]
    Partial {
        #[source]
        source: Box<Error>,
        /// What the completed steps did ("created role X"), in the order they completed.
        done: Vec<String>,
        total: usize,
    },

    /// IAM refused a write (`AccessDenied`); never retried. `cause` is the likely reason, read
    /// from the refusal's message (see `aws::errors::refusal`).
    #[error("{doing}: {source} ({cause})")]
    Refused {
        doing: String,
        #[source]
        source: AwsFailure,
        cause: RefusalCause,
    },

    /// IAM did not show a change within `--propagation-timeout`.
    #[error(
        "IAM did not propagate {what} within {timeout} s (raise --propagation-timeout if IAM is slow today)"
    )]
    NotPropagated {
        what: String,
        timeout: u64,
        #[source]
        source: Box<Error>,
    },

    /// Lint found errors in the documents apply or plan would write (exit code 2).
    #[error(
        "{vendor} {integration}: lint found {count} error(s) in the documents, so nothing was done: {first} (onboard lint lists every finding)"
    )]
    Lint {
        vendor: String,
        integration: String,
        count: usize,
        first: String,
    },

    /// Ctrl-C: the steps in flight finished, no other started (exit code 130).
    #[error(
        "interrupted after {done} of {total} steps had completed; nothing else was started: run the same command again to finish"
    )]
    Interrupted { done: usize, total: usize },

    /// Ctrl-C while no change was being made (exit code 130).
    #[error("interrupted while no change was being made: nothing is left half-done")]
    InterruptedIdle,

    /// Some accounts of `--accounts` or `--organization` failed; the table says why (exit code
    /// 130 when one was interrupted, else 1).
    #[error("{failed} of {total} accounts failed: see the table on stdout")]
    AccountsFailed {
        failed: usize,
        total: usize,
        interrupted: bool,
    },

    /// Local I/O failed: the terminal, the random source.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// A key file could not be written (said once: the I/O error is not a second cause).
    #[error("writing key file {}: {error}", path.display())]
    KeyFile {
        path: std::path::PathBuf,
        error: std::io::Error,
    },

    /// A new access key could not be handed over; it was deleted (or is left for the next run).
    #[error("access key {key_id} of user {user} was not handed over, {deleted}: {why}")]
    NotHandedOver {
        user: String,
        key_id: String,
        deleted: String,
        why: String,
    },

    /// Another run created an access key for the same user at the same time.
    #[error(
        "another onboard run created access key {other} for user {user} while this one created {mine}; \
         the older key wins, so {other} is the other run's to hand over"
    )]
    KeyRace {
        user: String,
        mine: String,
        other: String,
    },

    /// stdout could not take the results: a closed pipe (`| head -1`) or a full disk.
    #[error("writing the results to stdout: {0}")]
    Stdout(std::io::Error),
}

impl From<Usage> for Error {
    fn from(usage: Usage) -> Self {
        Error::Usage(Box::new(usage))
    }
}

impl From<Limit> for Error {
    fn from(limit: Limit) -> Self {
        Error::Limit(Box::new(limit))
    }
}

impl Error {
    /// An AWS failure that is not an SDK error: an answer onboard cannot use (`code` `None`), or
    /// a service error as AWS would answer it (tests, and answers that carry a code of their own).
    pub(crate) fn aws(doing: impl Into<String>, code: Option<&str>, message: String) -> Self {
        let source = match code {
            Some(code) => AwsFailure::Sdk(Box::new(
                aws_sdk_iam::error::ErrorMetadata::builder()
                    .code(code)
                    .message(message)
                    .build(),
            )),
            None => AwsFailure::Answer(message),
        };
        Error::Aws {
            doing: doing.into(),
            source,
        }
    }

    /// The AWS error code, when this is (or wraps) an AWS service error.
    pub(crate) fn aws_code(&self) -> Option<&str> {
        match self {
            Error::Aws { source, .. } | Error::Refused { source, .. } => source.code(),
            Error::Partial { source, .. } | Error::NotPropagated { source, .. } => {
                source.aws_code()
            }
            _ => None,
        }
    }

    /// The process exit code documented in the README: 2 for usage and lint errors, 130 for an
    /// interrupt, 1 for everything else.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Limit(_) | Error::Lint { .. } => 2,
            Error::Interrupted { .. }
            | Error::InterruptedIdle
            | Error::AccountsFailed {
                interrupted: true, ..
            } => 130,
            _ => 1,
        }
    }
}

/// Exit code of a run whose stdout was closed by its reader: 128 + SIGPIPE, what a shell
/// reports for a program a closed pipe stopped.
pub const CLOSED_PIPE_EXIT_CODE: u8 = 141;

/// Whether the error is only that the reader of stdout went away (`onboard catalog list | head
/// -1`): the program then exits quietly with [`CLOSED_PIPE_EXIT_CODE`].
pub fn is_closed_stdout(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        matches!(e.downcast_ref::<Error>(), Some(Error::Stdout(io))
            if io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line, each cause's message once: how `main` and the accounts
/// table show an error (`{:#}` would repeat a source whose text an outer error already holds).
pub fn one_line(err: &anyhow::Error) -> String {
    cause_chain(err.as_ref())
}

/// Exit code for an error that reached `main`: the typed error's own code where there is one.
pub fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    // A `Usage` or `Limit` that reached anyhow without being wrapped in an `Error` is still bad
    // input.
    let code = err
        .chain()
        .find_map(|e| {
            e.downcast_ref::<Error>()
                .map(Error::exit_code)
                .or_else(|| (e.is::<Usage>() || e.is::<Limit>()).then_some(2))
        })
        .unwrap_or(1);
    ExitCode::from(code)
}

/// Why IAM refused a write, as far as AWS's message tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefusalCause {
    /// "... with an explicit deny in a service control policy".
    ServiceControlPolicy,
    /// "... with an explicit deny in a permissions boundary" or "no permissions boundary allows":
    /// the caller's own boundary.
    CallerBoundary,
    /// An explicit deny in an identity-based policy, on a create without a permissions
    /// boundary: the account likely requires one on new roles and users.
    RequiredBoundary,
    /// "... because no identity-based policy allows the ACTION action", or an explicit deny in
    /// an identity-based policy.
    MissingPermission { action: String },
    /// AWS's message says nothing more.
    Unknown,
}

impl std::fmt::Display for RefusalCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefusalCause::ServiceControlPolicy => f.write_str(
                "a service control policy of your organization denies it: ask the organization's \
                 administrators, or onboard into an account the policy allows",
            ),
            RefusalCause::CallerBoundary => f.write_str(
                "the permissions boundary on your own identity does not allow it: use an identity \
                 whose boundary allows it",
            ),
            RefusalCause::RequiredBoundary => f.write_str(
                "the account likely requires a permissions boundary on new roles and users: pass \
                 --permissions-boundary ARN with the boundary your administrators ask for",
            ),
            RefusalCause::MissingPermission { action } => write!(
                f,
                "your identity lacks the permission {action}: grant it, or use an identity that has it"
            ),
            RefusalCause::Unknown => f.write_str(
                "a missing permission, a service control policy or a permissions boundary: AWS's \
                 message does not say which",
            ),
        }
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

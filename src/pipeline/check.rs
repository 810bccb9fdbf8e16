//! The first stage: the target and every flag checked without any AWS call.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::catalog::RenderContext;
use crate::cli::{ChangeArgs, VerifyOptions};
use crate::commands::offline::{STAND_IN_ACCOUNT, render_valid, stand_in_context};
use crate::commands::target::Target;
use crate::error::Result;
use crate::policy::limits::{check_external_id, check_session_name};
use crate::verification::AssumeSettings;

/// The target and the flags of apply and plan, checked without any AWS call.
pub(crate) struct Checked {
    pub(super) target: Target,
    /// The render context with every flag applied, for a stand-in account.
    pub(super) offline: RenderContext,
    pub(super) external_id: Option<String>,
    pub(super) exclusive: bool,
    /// Whether the vendor takes an external ID.
    pub(super) needs_external_id: bool,
    /// The vendor's user that gets an access key, if any.
    pub(crate) key_user: Option<String>,
}

/// Checks every flag offline (the entry rendered for a stand-in account of the same length as a
/// real one) and lints the documents, refusing on errors.
pub(crate) fn check(args: &ChangeArgs) -> Result<Checked> {
    let target = Target::resolve(&args.target)?;
    target.require_vendor_external_id(args.external_id.as_deref())?;
    let needs_external_id = target.needs_external_id();
    let offline = stand_in_context(
        &target,
        STAND_IN_ACCOUNT,
        args.external_id.as_deref(),
        &args.render,
    )?;
    let rendered = render_valid(&target, &offline)?;
    Ok(Checked {
        target,
        offline,
        external_id: args.external_id.clone(),
        exclusive: args.exclusive,
        needs_external_id,
        key_user: rendered
            .users
            .iter()
            .find(|u| u.access_key)
            .map(|u| u.name.clone()),
    })
}

/// The sts:AssumeRole settings from the command line, validated; the session name defaults to
/// `onboard-verify-<unix time>`.
pub(crate) fn assume_settings(
    options: &VerifyOptions,
    external_id: Option<String>,
) -> Result<AssumeSettings> {
    if let Some(id) = &external_id {
        check_external_id(id)?;
    }
    let session_name = if let Some(name) = &options.session_name {
        name.clone()
    } else {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        format!("onboard-verify-{}", now.as_secs())
    };
    check_session_name(&session_name)?;
    Ok(AssumeSettings {
        session_name,
        external_id,
    })
}

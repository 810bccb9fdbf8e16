//! The documents rendered for a stand-in account, before any AWS call: how apply, plan, export
//! and lint check every flag offline.

use super::target::Target;
use crate::catalog::RenderContext;
use crate::cli::RenderFlags;
use crate::error::{Error, Result, Usage};
use crate::policy::limits::{
    check_desired, check_external_id, check_max_session_duration, check_policy_arn, parse_tag,
};
use crate::policy::lint::{lint, refuse_errors};
use crate::state::{Desired, Tag};

/// Account the documents are rendered for when no real one is known.
pub(crate) const STAND_IN_ACCOUNT: &str = "000000000000";

/// External ID the documents are rendered with when `--external-id` is not given: as long as
/// the one apply would generate, so that sizes come out the same.
pub(crate) const STAND_IN_EXTERNAL_ID: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Bytes of a generated external ID: twice as many hex characters, as long as
/// [`STAND_IN_EXTERNAL_ID`].
pub(crate) const GENERATED_EXTERNAL_ID_BYTES: usize = STAND_IN_EXTERNAL_ID.len() / 2;

/// A render context for `account` with the flags applied and checked: `--permissions-boundary`,
/// `--max-session-duration`, `--tag`, and `--external-id` (the stand-in without it), which is
/// also added to trust statements that let a third party in without one.
pub(crate) fn stand_in_context(
    target: &Target,
    account: &str,
    external_id: Option<&str>,
    flags: &RenderFlags,
) -> Result<RenderContext> {
    if let Some(id) = external_id {
        check_external_id(id)?;
    }
    let mut ctx = target.context(account, "aws", "us-east-1");
    configure(&mut ctx, flags)?;
    ctx.external_id = Some(external_id.unwrap_or(STAND_IN_EXTERNAL_ID).to_owned());
    ctx.added_external_id = external_id.map(str::to_owned);
    Ok(ctx)
}

/// Applies the flags that are not about the catalog entry, checked without any AWS call.
pub(crate) fn configure(ctx: &mut RenderContext, flags: &RenderFlags) -> Result<()> {
    if let Some(arn) = &flags.permissions_boundary {
        check_policy_arn("--permissions-boundary", arn)?;
    }
    if let Some(seconds) = flags.max_session_duration {
        check_max_session_duration(seconds)?;
    }
    ctx.permissions_boundary = flags.permissions_boundary.clone();
    ctx.max_session_duration = flags.max_session_duration;
    let tags: Vec<Tag> = flags
        .tags
        .iter()
        .map(|t| parse_tag(t))
        .collect::<Result<_>>()?;
    // IAM tag keys ignore case: `Team` and `team` are one key, which IAM refuses twice.
    for (index, tag) in tags.iter().enumerate() {
        if let Some(earlier) = tags[..index]
            .iter()
            .find(|t| t.key.eq_ignore_ascii_case(&tag.key))
        {
            return Err(Error::from(Usage::TagGivenTwice {
                key: tag.key.clone(),
                value: tag.value.clone(),
                earlier_key: earlier.key.clone(),
                earlier_value: earlier.value.clone(),
            }));
        }
    }
    ctx.tags = tags;
    Ok(())
}

/// Renders the target, refusing an added external ID that no trust policy takes.
pub(crate) fn render_checked(target: &Target, ctx: &RenderContext) -> Result<Desired> {
    let desired = target.render(ctx)?;
    if ctx.added_external_id.is_some() && desired.external_id.is_none() {
        let integrations: Vec<&str> = target.selected().iter().map(|(n, _)| *n).collect();
        return Err(Error::from(Usage::ExternalIdUnused {
            vendor: target.catalog.vendor.clone(),
            integrations: integrations.join(", "),
        }));
    }
    Ok(desired)
}

/// Renders the target as [`render_checked`] does, and refuses documents over IAM's limits or
/// with lint errors: what apply, plan and export check before anything else.
pub(crate) fn render_valid(target: &Target, ctx: &RenderContext) -> Result<Desired> {
    let desired = render_checked(target, ctx)?;
    check_desired(&desired)?;
    refuse_errors(&desired, &lint(&desired))?;
    Ok(desired)
}

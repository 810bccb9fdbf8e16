//! `onboard export`: the desired state rendered for no account in particular, written as a
//! CloudFormation template ([`cloudformation`]) or Terraform configuration ([`terraform`]).
//!
//! The catalog is rendered once, by the same [`render`](crate::catalog::render) apply uses, with
//! a [marker](Input::marker) in place of every value only the deployment knows: the account,
//! partition and region, the external ID, and the vendor's parameters. Each format turns the
//! markers into its own references (`${AWS::AccountId}`, `var.bucket`), so names, documents,
//! tags and attachments have one source of truth.

pub(crate) mod cloudformation;
pub(crate) mod terraform;
mod terraform_fmt;

use std::collections::BTreeMap;

use crate::catalog::{ExternalIdIssuer, Integration, RenderContext};
use crate::state::{Desired, MANAGED_BY, Tag};

/// Opens a marker; a private-use character no catalog entry or flag holds.
const OPEN: char = '\u{E000}';
/// Closes a marker.
const CLOSE: char = '\u{E001}';

/// Characters IAM allows in an external ID (besides letters and digits), for the patterns.
const EXTERNAL_ID_PATTERN: &str = r"^[\w+=,.@:/-]+$";
/// Shortest external ID IAM accepts.
pub(crate) const EXTERNAL_ID_MIN: usize = 2;
/// Longest external ID IAM accepts.
pub(crate) const EXTERNAL_ID_MAX: usize = 1224;

/// A value the deploying account or the deployer supplies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Input {
    AccountId,
    Partition,
    Region,
    ExternalId,
    /// A catalog parameter, by its catalog name.
    Param(String),
}

impl Input {
    /// The text that stands for this input in a rendered string.
    pub(crate) fn marker(&self) -> String {
        let key = match self {
            Input::AccountId => "AccountId",
            Input::Partition => "Partition",
            Input::Region => "Region",
            Input::ExternalId => "ExternalId",
            Input::Param(name) => return format!("{OPEN}param:{name}{CLOSE}"),
        };
        format!("{OPEN}{key}{CLOSE}")
    }

    fn from_key(key: &str) -> Input {
        match key {
            "AccountId" => Input::AccountId,
            "Partition" => Input::Partition,
            "Region" => Input::Region,
            "ExternalId" => Input::ExternalId,
            other => Input::Param(
                other
                    .strip_prefix("param:")
                    .expect("markers are made by Input::marker")
                    .to_owned(),
            ),
        }
    }
}

/// The value an export writes for `tag`: `managed-by` names the tool that deploys the export
/// (`manager`) instead of onboard, because the stack or the Terraform state owns what it
/// creates; onboard's apply, teardown and rotate-key only touch resources tagged
/// `managed-by=onboard`, so they leave it alone. The vendor's tags stay, for `verify`.
pub(crate) fn tag_value<'a>(tag: &'a Tag, manager: &'a str) -> &'a str {
    if tag.key == MANAGED_BY.0 {
        manager
    } else {
        &tag.value
    }
}

/// A piece of a rendered string: text as it is, or an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Input(Input),
}

/// Splits a rendered string into text and inputs, in order.
pub(crate) fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        if start > 0 {
            out.push(Piece::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + OPEN.len_utf8()..];
        let end = after.find(CLOSE).expect("markers are closed");
        out.push(Piece::Input(Input::from_key(&after[..end])));
        rest = &after[end + CLOSE.len_utf8()..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    out
}

/// A parameter (CloudFormation) or variable (Terraform) of the export: the external ID or one
/// of the vendor's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parameter {
    /// [`Input::ExternalId`] or [`Input::Param`].
    pub input: Input,
    pub description: String,
    /// The value given on the command line or the catalog's default; none makes the parameter
    /// required.
    pub default: Option<String>,
    /// A regular expression every valid value matches (whole value).
    pub pattern: String,
    /// Length bounds not expressed by the pattern.
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
}

/// What an export writes: the desired state with markers, and its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Export {
    /// Rendered with [`Input::marker`]s for the account, partition, region, external ID and
    /// parameters (see [`Export::context`]).
    pub desired: Desired,
    pub parameters: Vec<Parameter>,
}

impl Export {
    /// The export of `desired`. An empty `Sid` carries no meaning (IAM reads it as none, and
    /// cfn-lint refuses it: E3510), so exports leave it out; the documents are otherwise the
    /// vendor's.
    pub(crate) fn new(mut desired: Desired, parameters: Vec<Parameter>) -> Export {
        let documents = desired
            .policies
            .iter_mut()
            .map(|policy| &mut policy.document)
            .chain(desired.roles.iter_mut().flat_map(|role| {
                std::iter::once(&mut role.trust).chain(
                    role.inline_policies
                        .iter_mut()
                        .map(|inline| &mut inline.document),
                )
            }));
        for document in documents {
            crate::policy::drop_empty_sids(document);
        }
        Export {
            desired,
            parameters,
        }
    }

    /// The parameters of the `selected` integrations: the external ID first (when a trust
    /// policy asks for one), then the vendor's parameters, with the `known` values as defaults.
    pub(crate) fn parameters(
        selected: &[(&str, &Integration)],
        known: &BTreeMap<String, String>,
        external_id: Option<&str>,
        needs_external_id: bool,
    ) -> Vec<Parameter> {
        let mut parameters = Vec::new();
        if needs_external_id {
            // A vendor-issued ID has no default but the one given: the deployer must fill in
            // the vendor's; a customer-chosen one is the deployer's choice.
            let issued = selected
                .iter()
                .flat_map(|(_, i)| &i.roles)
                .filter_map(|r| r.external_id.as_ref())
                .find(|spec| spec.issued_by == ExternalIdIssuer::Vendor);
            let description = match issued {
                Some(spec) => format!(
                    "External ID the vendor issues: {}. The trust policy requires it in \
                     sts:AssumeRole",
                    spec.shown.as_deref().unwrap_or("ask the vendor")
                ),
                None => "External ID you choose (a long random string) and hand to the vendor; \
                         the trust policy requires it in sts:AssumeRole"
                    .to_owned(),
            };
            parameters.push(Parameter {
                input: Input::ExternalId,
                description,
                default: external_id.map(str::to_owned),
                pattern: EXTERNAL_ID_PATTERN.to_owned(),
                min_length: Some(EXTERNAL_ID_MIN),
                max_length: Some(EXTERNAL_ID_MAX),
            });
        }
        for spec in selected.iter().flat_map(|(_, i)| &i.parameters) {
            let input = Input::Param(spec.name.clone());
            // An optional parameter decides which statements exist: fixed at export time, so
            // one left out has no template parameter and its statements are not written.
            let left_out = spec.optional && !known.contains_key(&spec.name);
            if left_out || parameters.iter().any(|p| p.input == input) {
                continue;
            }
            parameters.push(Parameter {
                input,
                description: spec.description.clone(),
                default: known.get(&spec.name).cloned(),
                pattern: spec.kind.pattern().to_owned(),
                min_length: None,
                max_length: None,
            });
        }
        parameters
    }

    /// `ctx` with markers for the account, partition, region and `parameters`, to render with.
    pub(crate) fn context(ctx: &RenderContext, parameters: &[Parameter]) -> RenderContext {
        let mut ctx = ctx.clone();
        ctx.account = Input::AccountId.marker();
        ctx.partition = Input::Partition.marker();
        ctx.region = Input::Region.marker();
        ctx.external_id = None;
        ctx.params.clear();
        for parameter in parameters {
            match &parameter.input {
                Input::ExternalId => ctx.external_id = Some(Input::ExternalId.marker()),
                Input::Param(name) => {
                    ctx.params.insert(name.clone(), parameter.input.marker());
                }
                other => unreachable!("{other:?} is no parameter"),
            }
        }
        // The external ID `--external-id` adds to trust without one is the parameter as well.
        if ctx.added_external_id.is_some() {
            ctx.added_external_id = ctx.external_id.clone();
        }
        ctx
    }

    /// Whether any string of the desired state uses `input`.
    pub(crate) fn uses(&self, input: &Input) -> bool {
        let marker = input.marker();
        serde_json::to_string(&self.desired)
            .expect("desired state serializes")
            .contains(&marker)
    }
}

/// `trust-principal` as `TrustPrincipal`: letters and digits, each word capitalized.
pub(crate) fn camel_case(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().expect("not empty").to_ascii_uppercase();
            std::iter::once(first).chain(chars).collect::<String>()
        })
        .collect()
}

/// `StreamkapInstallAccess` as `streamkap_install_access`, `org-id` as `org_id`.
pub(crate) fn snake_case(text: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            let boundary = c.is_ascii_uppercase()
                && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        previous = Some(c);
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

/// Hands out unique names: the wanted one, else with a suffix, else numbered.
#[derive(Debug, Default)]
pub(crate) struct UniqueNames(std::collections::BTreeSet<String>);

impl UniqueNames {
    pub(crate) fn take(&mut self, wanted: &str, suffix: &str) -> String {
        let candidates = [wanted.to_owned(), format!("{wanted}{suffix}")];
        let numbered = (2..).map(|n| format!("{wanted}{suffix}{n}"));
        let name = candidates
            .into_iter()
            .chain(numbered)
            .find(|c| !self.0.contains(c))
            .expect("some number is free");
        self.0.insert(name.clone());
        name
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::{builtin_vendors, known_params, load_builtin, render};

    /// Every integration of every built-in vendor.
    pub(crate) fn every_integration() -> Vec<(&'static str, String)> {
        builtin_vendors()
            .into_iter()
            .flat_map(|vendor| {
                let catalog = load_builtin(vendor).unwrap();
                catalog
                    .integrations
                    .into_keys()
                    .map(move |integration| (vendor, integration))
            })
            .collect()
    }

    /// The export of a built-in vendor's integrations (default one when none named), with
    /// `given` parameter values and external ID; names and flags as the catalog has them.
    pub(crate) fn export_of(
        vendor: &str,
        integrations: &[&str],
        given: &[(&str, &str)],
        external_id: Option<&str>,
    ) -> Export {
        let catalog = load_builtin(vendor).unwrap();
        let names: Vec<String> = integrations
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        let selected = catalog.select(&names, false).unwrap();
        let given: Vec<(String, String)> = given
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let known = known_params(vendor, &selected, &given).unwrap();
        let needs = crate::catalog::uses_external_id(&selected);
        let parameters = Export::parameters(&selected, &known, external_id, needs);
        let ctx = RenderContext::new("000000000000", "aws", "us-east-1");
        let desired = render(&catalog, &selected, &Export::context(&ctx, &parameters)).unwrap();
        Export::new(desired, parameters)
    }

    /// The same integrations rendered as apply renders them, for `account` in partition aws.
    pub(crate) fn applied(
        vendor: &str,
        integrations: &[&str],
        params: &[(&str, &str)],
        external_id: &str,
        account: &str,
    ) -> Desired {
        let catalog = load_builtin(vendor).unwrap();
        let names: Vec<String> = integrations
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        let selected = catalog.select(&names, false).unwrap();
        let mut ctx = RenderContext::new(account, "aws", "us-east-1");
        ctx.params = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ctx.external_id = Some(external_id.to_owned());
        render(&catalog, &selected, &ctx).unwrap()
    }

    /// A vendor-issued external ID is a parameter without a default (unless given) whose
    /// description says where the vendor shows it; onboard never makes one up.
    #[test]
    fn a_vendor_issued_external_id_is_a_parameter_without_default() {
        for (vendor, integration, shown) in [
            ("upsolver", "my-vpc", "Upsolver gives it to you"),
            ("streamkap", "s3", "Streamkap's app shows it"),
        ] {
            let export = export_of(vendor, &[integration], &[], None);
            let id = &export.parameters[0];
            assert_eq!(id.input, Input::ExternalId);
            assert_eq!(id.default, None, "{vendor}");
            assert!(id.description.contains(shown), "{}", id.description);
        }
        let given = export_of("upsolver", &[], &[], Some("from-upsolver"));
        assert_eq!(
            given.parameters[0].default.as_deref(),
            Some("from-upsolver")
        );
    }

    #[test]
    fn markers_split_back_into_inputs() {
        let text = format!(
            "arn:{}:s3:::{}-${{aws:username}}",
            Input::Partition.marker(),
            Input::Param("bucket".into()).marker()
        );
        assert_eq!(
            pieces(&text),
            [
                Piece::Text("arn:".into()),
                Piece::Input(Input::Partition),
                Piece::Text(":s3:::".into()),
                Piece::Input(Input::Param("bucket".into())),
                Piece::Text("-${aws:username}".into()),
            ]
        );
        assert_eq!(pieces("plain"), [Piece::Text("plain".into())]);
    }

    #[test]
    fn names_convert_between_cases() {
        assert_eq!(camel_case("trust-principal"), "TrustPrincipal");
        assert_eq!(
            camel_case("StreamkapInstallAccess"),
            "StreamkapInstallAccess"
        );
        assert_eq!(
            snake_case("StreamkapInstallAccess"),
            "streamkap_install_access"
        );
        assert_eq!(snake_case("org-id"), "org_id");
        assert_eq!(
            snake_case("AWSCloudFormationReadOnlyAccess"),
            "awscloud_formation_read_only_access"
        );
        let mut names = UniqueNames::default();
        assert_eq!(names.take("A", "Role"), "A");
        assert_eq!(names.take("A", "Role"), "ARole");
        assert_eq!(names.take("A", "Role"), "ARole2");
    }
}

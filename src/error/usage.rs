//! Bad input, typed: what the user gave that onboard cannot use, each variant carrying the value
//! at fault and rendering one line that names it and the fix. All exit with code 2, and all are
//! found before the first write.

use std::path::PathBuf;

use crate::arn::ArnProblem;
use crate::kinds::Kind;

/// `a, b, c`.
fn list(items: &[String]) -> String {
    items.join(", ")
}

/// The user asked for something onboard cannot do as given: flags, names, parameters, files.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Usage {
    // What to onboard.
    #[error("unknown vendor '{name}'; known vendors: {}", list(known))]
    UnknownVendor { name: String, known: Vec<String> },

    #[error(
        "vendor {vendor} has no integration '{name}'; known integrations: {}",
        list(known)
    )]
    UnknownIntegration {
        vendor: String,
        name: String,
        known: Vec<String>,
    },

    #[error("catalog file {path}: {problem}")]
    CatalogFile { path: String, problem: String },

    #[error(
        "{flag} '{name}' is not a catalog name: use lowercase letters, digits and '-', starting with a letter or digit"
    )]
    NotCatalogName { flag: &'static str, name: String },

    #[error("template {path}: cannot read it: {error}")]
    TemplateUnreadable { path: String, error: std::io::Error },

    #[error("template {path}: it is {size} bytes; onboard reads templates of at most {max} bytes")]
    TemplateTooLarge { path: String, size: u64, max: u64 },

    #[error("template {path}: {problem}")]
    Template { path: String, problem: String },

    #[error("template {path}: the catalog entry made from it is not valid: {problem}")]
    TemplateEntry { path: String, problem: String },

    #[error("--known-accounts {path}: {problem}")]
    KnownAccountsFile { path: String, problem: String },

    // Parameters.
    #[error("--param '{text}' is not NAME=VALUE: use for example --param bucket=my-bucket")]
    ParamNotNameValue { text: String },

    #[error("vendor {vendor} ({integrations}) needs --param {name}=VALUE: {description}")]
    MissingParam {
        vendor: String,
        integrations: String,
        name: String,
        description: String,
    },

    #[error(
        "vendor {vendor} ({integrations}) has no parameter '{name}'; {}",
        if known.is_empty() { "it takes none".to_owned() } else { format!("known: {}", list(known)) }
    )]
    UnknownParam {
        vendor: String,
        integrations: String,
        name: String,
        known: Vec<String>,
    },

    #[error("--param {name}={value} is not valid: {fix}")]
    BadParam {
        name: String,
        value: String,
        fix: String,
    },

    #[error("--param {name}={value} is not valid: use one of {}", list(allowed))]
    ParamNotAllowed {
        name: String,
        value: String,
        allowed: Vec<String>,
    },

    #[error(
        "--param {name} is given {} times ({}): give it once",
        values.len(),
        values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
    )]
    ParamGivenTwice { name: String, values: Vec<String> },

    #[error(
        "the profile's region '{region}' is not valid for --param {param}: {problem}; pass --param {param}=NAME or --region NAME"
    )]
    ProfileRegion {
        region: String,
        param: String,
        problem: String,
    },

    #[error(
        "vendor {vendor} takes no --trust-principal: its roles trust the principals its page names"
    )]
    TrustPrincipalNotTaken { vendor: String },

    #[error(
        "--trust-principal {principal} and --param {param}={value} both set the trusted principal: give only --trust-principal"
    )]
    TrustPrincipalTwice {
        principal: String,
        param: &'static str,
        value: String,
    },

    #[error(
        "vendor {vendor} ({integrations}) issues the external ID, so onboard cannot generate one: pass --external-id ID with the ID the vendor issues: {shown}"
    )]
    ExternalIdNeeded {
        vendor: String,
        integrations: String,
        /// Where the vendor shows it.
        shown: String,
    },

    #[error(
        "--external-id: vendor {vendor} ({integrations}) has no trust policy with an external ID condition, nor one that lets another account assume a role: leave out --external-id"
    )]
    ExternalIdUnused {
        vendor: String,
        integrations: String,
    },

    #[error(
        "--tag key '{key}' is given twice ({earlier_key}={earlier_value} and {key}={value}; IAM tag keys ignore case): give it once"
    )]
    TagGivenTwice {
        key: String,
        value: String,
        earlier_key: String,
        earlier_value: String,
    },

    // Flags.
    #[error(
        "--max-attempts 0 (or AWS_MAX_ATTEMPTS=0) makes no attempt at all: give 1 or more (1 sends each call once, without retries)"
    )]
    NoAttempts,

    #[error(
        "{flag} '{}' is not an endpoint URL: give http:// or https:// and a host, such as http://localhost:5000",
        url.escape_debug()
    )]
    NotEndpointUrl { flag: &'static str, url: String },

    #[error("--output {format} is for onboard audit only: use --output text or --output json")]
    OutputForAuditOnly { format: String },

    #[error("{first} and {second} exclude each other: pick one")]
    ExclusiveFlags {
        first: &'static str,
        second: &'static str,
    },

    #[error(
        "{kind} ARN '{text}' is not valid ({problem}): use arn:aws:iam::ACCOUNT_ID:{kind}/NAME, as apply printed it"
    )]
    BadArn {
        kind: &'static str,
        text: String,
        problem: ArnProblem,
    },

    #[error("--accounts names account {account} twice: give each account once")]
    AccountGivenTwice { account: String },

    // Teardown.
    #[error("teardown deletes resources and stdin is not a terminal to confirm on: pass --yes")]
    NoTerminalToConfirm,

    #[error(
        "teardown --integration changes a shared role in two steps and asks no question: pass --yes"
    )]
    IntegrationTeardownUnconfirmed,

    #[error("teardown in many accounts asks for no confirmation per account: pass --yes")]
    ManyAccountsUnconfirmed,

    #[error("teardown --integration needs --vendor: name the vendor")]
    IntegrationTeardownWithoutVendor,

    #[error("teardown --integration works in one account: leave out --accounts and --organization")]
    IntegrationTeardownInManyAccounts,

    #[error(
        "teardown --integration: role {role} does not carry the catalog's names (made with --name-prefix, --name-suffix, --role-name or --path?): run apply --exclusive --integration {} with the same flags instead",
        remaining.join(" --integration ")
    )]
    IntegrationTeardownRenamed {
        role: String,
        remaining: Vec<String>,
    },

    // What is in the account.
    #[error(
        "{kind} {name} was created by onboard for vendor {owner}, not {vendor}: pick other names with --name-prefix/--name-suffix"
    )]
    OtherVendors {
        kind: Kind,
        name: String,
        owner: String,
        vendor: String,
    },

    #[error(
        "--permissions-boundary {arn}: no such policy in this account: create it first or fix the ARN"
    )]
    NoSuchBoundary { arn: String },

    // Access keys.
    #[error(
        "user {user} already has two active access keys ({}), IAM's limit: delete the one no longer in use (aws iam delete-access-key) and run rotate-key again",
        list(keys)
    )]
    TwoActiveKeys {
        user: String,
        /// Each key's id and state: `AKIA... (handed over)`.
        keys: Vec<String>,
    },

    #[error(
        "vendor {vendor} ({integration}) has no user with an access key: rotate-key is for vendors that take one"
    )]
    NoKeyToRotate { vendor: String, integration: String },

    #[error(
        "user {user} gets an access key, shown only once: pass --key-file PATH (written with mode 0600) or --show-secret"
    )]
    KeyNotHandedOver { user: String },

    #[error(
        "--show-secret: with --accounts or --organization keys go to files, one per account: pass --key-file 'keys/{placeholder}.json' instead"
    )]
    ShowSecretInManyAccounts { placeholder: &'static str },

    #[error(
        "--key-file {}: with --accounts or --organization each account's key needs a file of its own: put {placeholder} in the path, such as keys/{placeholder}.json",
        path.display()
    )]
    KeyFileWithoutPlaceholder {
        path: PathBuf,
        placeholder: &'static str,
    },

    #[error(
        "user {user} gets an access key in each account, shown only once: pass --key-file 'keys/{placeholder}.json' (one file per account, written with mode 0600)"
    )]
    KeyFilesNeeded {
        user: String,
        placeholder: &'static str,
    },

    #[error(
        "--key-file {}: {found}; onboard never overwrites a key file: name a new file",
        path.display()
    )]
    KeyFileTaken {
        path: PathBuf,
        /// What is at the path: "the file exists", "a symbolic link to X is there".
        found: String,
    },

    #[error(
        "--key-file {}: folder {} does not exist: create it first, or name a file in a folder that exists",
        path.display(),
        folder.display()
    )]
    KeyFileFolderMissing { path: PathBuf, folder: PathBuf },
}

/// A value IAM or STS would refuse: names, IDs, paths, tags, sizes and counts, checked offline
/// so that nothing is created before AWS says no.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Limit {
    #[error(
        "{kind} name '{name}' is {} characters; IAM allows 1 to {max}: use a shorter name",
        name.chars().count()
    )]
    NameLength {
        kind: String,
        name: String,
        max: usize,
    },

    #[error(
        "{kind} name '{name}' contains '{bad}'; IAM names allow only letters, digits and +=,.@_-"
    )]
    NameCharacter {
        kind: String,
        name: String,
        bad: char,
    },

    #[error(
        "external ID '{}' is {} characters; IAM allows 2 to 1224: use the ID the vendor gave you",
        id.escape_debug(),
        id.chars().count()
    )]
    ExternalIdLength { id: String },

    /// Shown escaped, so that a newline or other control character stays on one line.
    #[error(
        "external ID '{}' contains '{}'; IAM allows only letters, digits and _+=,.@:/-",
        id.escape_debug(),
        bad.escape_debug()
    )]
    ExternalIdCharacter { id: String, bad: char },

    #[error(
        "--session-name '{}' is not a session name: STS takes 2 to 64 letters, digits and +=,.@_-",
        name.escape_debug()
    )]
    SessionName { name: String },

    #[error(
        "path '{path}' is not an IAM path: use '/' or a path that starts and ends with '/' such as '/vendors/', in printable ASCII without spaces, at most {max} characters"
    )]
    Path { path: String, max: usize },

    #[error("--max-session-duration {seconds} is out of range: IAM allows 3600 to 43200 seconds")]
    SessionDuration { seconds: i32 },

    #[error(
        "{flag} '{arn}' is not a managed policy ARN: use arn:aws:iam::ACCOUNT_ID:policy/NAME or arn:aws:iam::aws:policy/NAME"
    )]
    NotPolicyArn { flag: &'static str, arn: String },

    #[error("--tag '{text}' has no '=': use --tag KEY=VALUE")]
    TagWithoutEquals { text: String },

    #[error(
        "--tag key '{key}' is not a valid IAM tag key: use 1 to 128 letters, digits, spaces and _.:/=+-@"
    )]
    TagKey { key: String },

    #[error(
        "--tag value '{value}' is not a valid IAM tag value: use at most 256 letters, digits, spaces and _.:/=+-@"
    )]
    TagValue { value: String },

    #[error(
        "--tag key '{key}' is reserved (the aws: and onboard: prefixes and managed-by are IAM's and onboard's own): pick another key"
    )]
    ReservedTagKey { key: String },

    #[error(
        "{resource}: the value '{value}' of tag {key} cannot be an IAM tag value: use at most 256 letters, digits, spaces and _.:/=+-@"
    )]
    ResourceTagValue {
        resource: String,
        key: String,
        value: String,
    },

    #[error("{resource} would carry {count} tags; IAM allows {max}: pass fewer --tag options")]
    TooManyTags {
        resource: String,
        count: usize,
        max: usize,
    },

    #[error(
        "policy {name} is {chars} characters; IAM allows {max} (whitespace not counted): split it into several policies in the catalog"
    )]
    PolicySize {
        name: String,
        chars: usize,
        max: usize,
    },

    #[error(
        "trust policy of role {role} is {chars} characters; IAM allows {max} by default (whitespace not counted): name fewer principals"
    )]
    TrustPolicySize {
        role: String,
        chars: usize,
        max: usize,
    },

    #[error(
        "{kind} {name} would have {count} managed policies attached; IAM allows {max} by default: select fewer integrations, or raise the account's quota in Service Quotas"
    )]
    TooManyAttachments {
        kind: Kind,
        name: String,
        count: usize,
        max: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        text.to_owned()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|i| s(i)).collect()
    }

    /// The name of each variant: a variant added without an example here fails to compile.
    fn usage_name(usage: &Usage) -> &'static str {
        match usage {
            Usage::UnknownVendor { .. } => "UnknownVendor",
            Usage::UnknownIntegration { .. } => "UnknownIntegration",
            Usage::CatalogFile { .. } => "CatalogFile",
            Usage::NotCatalogName { .. } => "NotCatalogName",
            Usage::TemplateUnreadable { .. } => "TemplateUnreadable",
            Usage::TemplateTooLarge { .. } => "TemplateTooLarge",
            Usage::Template { .. } => "Template",
            Usage::TemplateEntry { .. } => "TemplateEntry",
            Usage::KnownAccountsFile { .. } => "KnownAccountsFile",
            Usage::ParamNotNameValue { .. } => "ParamNotNameValue",
            Usage::MissingParam { .. } => "MissingParam",
            Usage::UnknownParam { .. } => "UnknownParam",
            Usage::BadParam { .. } => "BadParam",
            Usage::ParamNotAllowed { .. } => "ParamNotAllowed",
            Usage::ParamGivenTwice { .. } => "ParamGivenTwice",
            Usage::ProfileRegion { .. } => "ProfileRegion",
            Usage::TrustPrincipalNotTaken { .. } => "TrustPrincipalNotTaken",
            Usage::TrustPrincipalTwice { .. } => "TrustPrincipalTwice",
            Usage::ExternalIdNeeded { .. } => "ExternalIdNeeded",
            Usage::ExternalIdUnused { .. } => "ExternalIdUnused",
            Usage::TagGivenTwice { .. } => "TagGivenTwice",
            Usage::NoAttempts => "NoAttempts",
            Usage::NotEndpointUrl { .. } => "NotEndpointUrl",
            Usage::OutputForAuditOnly { .. } => "OutputForAuditOnly",
            Usage::ExclusiveFlags { .. } => "ExclusiveFlags",
            Usage::BadArn { .. } => "BadArn",
            Usage::AccountGivenTwice { .. } => "AccountGivenTwice",
            Usage::NoTerminalToConfirm => "NoTerminalToConfirm",
            Usage::IntegrationTeardownUnconfirmed => "IntegrationTeardownUnconfirmed",
            Usage::ManyAccountsUnconfirmed => "ManyAccountsUnconfirmed",
            Usage::IntegrationTeardownWithoutVendor => "IntegrationTeardownWithoutVendor",
            Usage::IntegrationTeardownInManyAccounts => "IntegrationTeardownInManyAccounts",
            Usage::IntegrationTeardownRenamed { .. } => "IntegrationTeardownRenamed",
            Usage::OtherVendors { .. } => "OtherVendors",
            Usage::NoSuchBoundary { .. } => "NoSuchBoundary",
            Usage::TwoActiveKeys { .. } => "TwoActiveKeys",
            Usage::NoKeyToRotate { .. } => "NoKeyToRotate",
            Usage::KeyNotHandedOver { .. } => "KeyNotHandedOver",
            Usage::ShowSecretInManyAccounts { .. } => "ShowSecretInManyAccounts",
            Usage::KeyFileWithoutPlaceholder { .. } => "KeyFileWithoutPlaceholder",
            Usage::KeyFilesNeeded { .. } => "KeyFilesNeeded",
            Usage::KeyFileTaken { .. } => "KeyFileTaken",
            Usage::KeyFileFolderMissing { .. } => "KeyFileFolderMissing",
        }
    }

    fn limit_name(limit: &Limit) -> &'static str {
        match limit {
            Limit::NameLength { .. } => "NameLength",
            Limit::NameCharacter { .. } => "NameCharacter",
            Limit::ExternalIdLength { .. } => "ExternalIdLength",
            Limit::ExternalIdCharacter { .. } => "ExternalIdCharacter",
            Limit::SessionName { .. } => "SessionName",
            Limit::Path { .. } => "Path",
            Limit::SessionDuration { .. } => "SessionDuration",
            Limit::NotPolicyArn { .. } => "NotPolicyArn",
            Limit::TagWithoutEquals { .. } => "TagWithoutEquals",
            Limit::TagKey { .. } => "TagKey",
            Limit::TagValue { .. } => "TagValue",
            Limit::ReservedTagKey { .. } => "ReservedTagKey",
            Limit::ResourceTagValue { .. } => "ResourceTagValue",
            Limit::TooManyTags { .. } => "TooManyTags",
            Limit::PolicySize { .. } => "PolicySize",
            Limit::TrustPolicySize { .. } => "TrustPolicySize",
            Limit::TooManyAttachments { .. } => "TooManyAttachments",
        }
    }

    fn usages() -> Vec<Usage> {
        vec![
            Usage::UnknownVendor {
                name: s("acme"),
                known: strings(&["streamkap", "upsolver"]),
            },
            Usage::UnknownIntegration {
                vendor: s("streamkap"),
                name: s("x"),
                known: strings(&["byoc", "s3"]),
            },
            Usage::CatalogFile {
                path: s("mine.json"),
                problem: s("cannot read it: No such file or directory (os error 2)"),
            },
            Usage::NotCatalogName {
                flag: "--vendor",
                name: s("Acme"),
            },
            Usage::TemplateUnreadable {
                path: s("t.yaml"),
                error: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
            Usage::TemplateTooLarge {
                path: s("t.yaml"),
                size: 2_000_000,
                max: 1_048_576,
            },
            Usage::Template {
                path: s("t.yaml"),
                problem: s("neither JSON nor YAML"),
            },
            Usage::TemplateEntry {
                path: s("t.yaml"),
                problem: s("roles: empty"),
            },
            Usage::KnownAccountsFile {
                path: s("known.yaml"),
                problem: s("it is not UTF-8 text: give a YAML file"),
            },
            Usage::ParamNotNameValue { text: s("bucket") },
            Usage::MissingParam {
                vendor: s("streamkap"),
                integrations: s("s3"),
                name: s("bucket"),
                description: s("the S3 bucket Streamkap writes to"),
            },
            Usage::UnknownParam {
                vendor: s("streamkap"),
                integrations: s("byoc"),
                name: s("bukket"),
                known: vec![],
            },
            Usage::UnknownParam {
                vendor: s("streamkap"),
                integrations: s("s3"),
                name: s("bukket"),
                known: strings(&["bucket", "region"]),
            },
            Usage::BadParam {
                name: s("bucket"),
                value: s("No_Bucket"),
                fix: s("use 3 to 63 lowercase letters, digits, '.' and '-'"),
            },
            Usage::ParamNotAllowed {
                name: s("tier"),
                value: s("gold"),
                allowed: strings(&["free", "paid"]),
            },
            Usage::ParamGivenTwice {
                name: s("bucket"),
                values: strings(&["a", "b"]),
            },
            Usage::ProfileRegion {
                region: s("mars-1"),
                param: s("region"),
                problem: s("use a region name such as eu-west-1"),
            },
            Usage::TrustPrincipalNotTaken {
                vendor: s("streamkap"),
            },
            Usage::TrustPrincipalTwice {
                principal: s("arn:aws:iam::111122223333:root"),
                param: "trust-principal",
                value: s("arn:aws:iam::444455556666:root"),
            },
            Usage::ExternalIdNeeded {
                vendor: s("upsolver"),
                integrations: s("byoc"),
                shown: s("on the Upsolver console's integration page"),
            },
            Usage::ExternalIdUnused {
                vendor: s("stream-manager"),
                integrations: s("iam-user"),
            },
            Usage::TagGivenTwice {
                key: s("team"),
                value: s("b"),
                earlier_key: s("Team"),
                earlier_value: s("a"),
            },
            Usage::NoAttempts,
            Usage::NotEndpointUrl {
                flag: "--endpoint-url",
                url: s("localhost\n"),
            },
            Usage::OutputForAuditOnly { format: s("sarif") },
            Usage::ExclusiveFlags {
                first: "--key-file",
                second: "--show-secret",
            },
            Usage::BadArn {
                kind: "role",
                text: s("arn:aws:iam::12345:role/R"),
                problem: ArnProblem::Account,
            },
            Usage::AccountGivenTwice {
                account: s("111122223333"),
            },
            Usage::NoTerminalToConfirm,
            Usage::IntegrationTeardownUnconfirmed,
            Usage::ManyAccountsUnconfirmed,
            Usage::IntegrationTeardownWithoutVendor,
            Usage::IntegrationTeardownInManyAccounts,
            Usage::IntegrationTeardownRenamed {
                role: s("prod-StreamkapInstallAccess"),
                remaining: strings(&["byoc", "s3"]),
            },
            Usage::OtherVendors {
                kind: Kind::Role,
                name: s("InstallAccess"),
                owner: s("upsolver"),
                vendor: s("streamkap"),
            },
            Usage::NoSuchBoundary {
                arn: s("arn:aws:iam::111122223333:policy/Boundary"),
            },
            Usage::TwoActiveKeys {
                user: s("u"),
                keys: strings(&["AKIA1 (handed over)", "AKIA2 (not handed over)"]),
            },
            Usage::NoKeyToRotate {
                vendor: s("streamkap"),
                integration: s("byoc"),
            },
            Usage::KeyNotHandedOver { user: s("u") },
            Usage::ShowSecretInManyAccounts {
                placeholder: "{account}",
            },
            Usage::KeyFileWithoutPlaceholder {
                path: PathBuf::from("key.json"),
                placeholder: "{account}",
            },
            Usage::KeyFilesNeeded {
                user: s("u"),
                placeholder: "{account}",
            },
            Usage::KeyFileTaken {
                path: PathBuf::from("key.json"),
                found: s("the file exists"),
            },
            Usage::KeyFileFolderMissing {
                path: PathBuf::from("keys/key.json"),
                folder: PathBuf::from("keys"),
            },
        ]
    }

    fn limits() -> Vec<Limit> {
        vec![
            Limit::NameLength {
                kind: s("role"),
                name: "R".repeat(65),
                max: 64,
            },
            Limit::NameCharacter {
                kind: s("--assume-role-name: role"),
                name: s("has space"),
                bad: ' ',
            },
            Limit::ExternalIdLength { id: s("x") },
            Limit::ExternalIdCharacter {
                id: s("a\nb"),
                bad: '\n',
            },
            Limit::SessionName { name: s("x") },
            Limit::Path {
                path: s("vendors"),
                max: 512,
            },
            Limit::SessionDuration { seconds: 60 },
            Limit::NotPolicyArn {
                flag: "--permissions-boundary",
                arn: s("Boundary"),
            },
            Limit::TagWithoutEquals { text: s("team") },
            Limit::TagKey { key: s("") },
            Limit::TagValue { value: s("a|b") },
            Limit::ReservedTagKey {
                key: s("onboard:vendor"),
            },
            Limit::ResourceTagValue {
                resource: s("role R"),
                key: s("onboard:param:x"),
                value: s("a|b"),
            },
            Limit::TooManyTags {
                resource: s("role R"),
                count: 51,
                max: 50,
            },
            Limit::PolicySize {
                name: s("P"),
                chars: 7000,
                max: 6144,
            },
            Limit::TrustPolicySize {
                role: s("R"),
                chars: 3000,
                max: 2048,
            },
            Limit::TooManyAttachments {
                kind: Kind::Role,
                name: s("R"),
                count: 11,
                max: 10,
            },
        ]
    }

    /// Every variant's message, one line each: reviewed in the snapshot.
    #[test]
    fn every_bad_input_reads_as_one_line_naming_the_value_and_the_fix() {
        let mut lines = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for usage in usages() {
            names.insert(usage_name(&usage));
            lines.push(format!("{}: {usage}", usage_name(&usage)));
        }
        for limit in limits() {
            names.insert(limit_name(&limit));
            lines.push(format!("{}: {limit}", limit_name(&limit)));
        }
        // One example of each variant (UnknownParam has two: with and without known ones).
        assert_eq!(names.len(), lines.len() - 1);
        for line in &lines {
            assert!(!line.contains('\n'), "{line}");
        }
        insta::assert_snapshot!(lines.join("\n"));
    }

    /// Both kinds are bad input: exit code 2, wrapped in `Error` or not.
    #[test]
    fn bad_input_exits_with_code_2() {
        use crate::error::{Error, exit_code_for};
        use std::process::ExitCode;
        let wrapped = anyhow::Error::from(Error::from(Usage::NoAttempts));
        let bare = anyhow::Error::from(Limit::SessionDuration { seconds: 1 });
        let context = anyhow::Error::from(Usage::NoAttempts).context("checking flags");
        for err in [wrapped, bare, context] {
            assert_eq!(exit_code_for(&err), ExitCode::from(2), "{err:#}");
        }
        assert_eq!(Error::from(Usage::NoAttempts).exit_code(), 2);
        assert_eq!(Error::from(Limit::TagKey { key: s("") }).exit_code(), 2);
    }
}

//! Bad input, typed: what the user gave that onboard cannot use, each variant carrying the value
//! at fault and rendering one line that names it and the fix. All exit with code 2, and all are
//! found before the first write.

use std::path::PathBuf;

use crate::arn::ArnProblem;

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
        kind: &'static str,
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
        kind: &'static str,
        name: String,
        count: usize,
        max: usize,
    },
}

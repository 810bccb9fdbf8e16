//! Command-line types. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod checks;
pub(crate) use checks::check_global;

/// Onboard a SaaS vendor into your AWS account: create the IAM policies and the cross-account role
/// the vendor asks for, verify them, hand back the role ARN, and remove everything again on teardown.
#[derive(Debug, Parser)]
#[command(name = "onboard", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// How many `-v` were given: the log level `main` sets up before anything runs.
    #[must_use]
    pub fn verbose(&self) -> u8 {
        self.global.verbose
    }
}

/// Options every command shares; they follow the aws CLI and its environment variables.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// Named profile from ~/.aws/config and ~/.aws/credentials (SSO and credential_process work).
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,

    /// AWS region for STS; IAM is global. Default: the profile's region, else us-east-1.
    #[arg(long, global = true)]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint instead (for example a local emulator).
    /// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS are honoured too.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Attempts per AWS call for throttling and 5xx answers (the SDK's standard retry mode).
    #[arg(
        long,
        global = true,
        env = "AWS_MAX_ATTEMPTS",
        default_value_t = 10,
        value_name = "N"
    )]
    pub max_attempts: u32,

    /// AWS requests in flight at once in each account, reads and writes alike; 1 runs everything
    /// in an account in sequence.
    #[arg(long, global = true, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// First backoff of the retries, in milliseconds (tests shorten it).
    #[arg(
        long,
        global = true,
        default_value_t = 1000,
        hide = true,
        value_name = "MS"
    )]
    pub retry_initial_backoff_ms: u64,

    /// Longest time, in seconds, that a run waits in all for IAM to propagate its changes (IAM
    /// is eventually consistent: a new role may be unknown to some requests for seconds).
    #[arg(
        long,
        global = true,
        alias = "wait",
        default_value_t = crate::aws::DEFAULT_PROPAGATION_TIMEOUT.as_secs(),
        value_name = "SECONDS"
    )]
    pub propagation_timeout: u64,

    /// Seconds a run that creates an access key may take to hand it over; an unrecorded key
    /// younger than this may be another run's (tests shorten it).
    #[arg(
        long,
        global = true,
        default_value_t = 120,
        hide = true,
        value_name = "SECONDS"
    )]
    pub key_grace_seconds: u64,

    /// Format of the results on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// More logging on stderr: -v shows each change as it is made, -vv debug output, -vvv every
    /// AWS request. RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Human-readable lines; for apply the role ARN is the last line.
    Text,
    /// One JSON object.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (audit only).
    Sarif,
    /// A Markdown report with a Mermaid diagram (audit only).
    Markdown,
}

impl OutputFormat {
    /// Whether only `onboard audit` writes this format.
    pub(crate) fn audit_only(self) -> bool {
        match self {
            OutputFormat::Text | OutputFormat::Json => false,
            OutputFormat::Sarif | OutputFormat::Markdown => true,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create the vendor's policies, roles and users (whatever is missing), repair what drifted,
    /// attach, verify, and print what to hand to the vendor: the role ARN last.
    Apply(ApplyArgs),
    /// Show what apply would do, resource by resource, with a diff of every document it would
    /// change; makes no write call.
    Plan(PlanArgs),
    /// Check a role (or user): read it back, compare it with the catalog, try sts:AssumeRole.
    Verify(VerifyArgs),
    /// Remove every resource onboard created (found by its tags), and nothing else.
    Teardown(TeardownArgs),
    /// List the built-in vendors, or show the exact documents apply would create.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Replace the access key of a vendor's user: create the new key, hand it over, then
    /// deactivate and delete the old one.
    RotateKey(RotateKeyArgs),
    /// Check the documents apply would create, offline: unknown actions, size limits, writes on
    /// "Resource": "*", roles anyone or a third party without an external ID can assume.
    /// Exits 1 when a finding is an error.
    Lint(LintArgs),
    /// List every way into the account that another party holds: roles a principal of another
    /// account (or anyone) may assume, and users with access keys onboard made for a vendor; who
    /// holds and manages each, what it grants, when it was last used, and findings. Read only.
    Audit(AuditArgs),
    /// Write the vendor's policies, roles, instance profiles and users as a CloudFormation
    /// template or Terraform configuration, without any AWS call.
    Export(ExportArgs),
    /// Print a shell completion script, for example
    /// `onboard completions bash > ~/.local/share/bash-completion/completions/onboard`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) generated from this help, for example `onboard man | man -l -`,
    /// or write one page per command into a directory.
    Man(ManArgs),
}

/// Which catalog entry, which integrations, with which parameters.
#[derive(Debug, Args)]
pub(crate) struct EntryArgs {
    /// Built-in vendor (see `onboard catalog list`).
    #[arg(long, required_unless_present = "catalog_file")]
    pub vendor: Option<String>,

    /// A catalog file of your own instead of a built-in vendor (see catalog/schema.json).
    #[arg(long, value_name = "PATH", conflicts_with = "vendor")]
    pub catalog_file: Option<PathBuf>,

    /// Integration of the vendor; repeat it to combine integrations that share a role.
    /// Default: the vendor's default integration.
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,

    /// A value the vendor's page leaves to you, NAME=VALUE (such as bucket=my-bucket); repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// ARN of the principal that may assume the role, for vendors that take one (Kubermatic KKP:
    /// a role trusted by this principal instead of a user with an access key).
    #[arg(long, value_name = "ARN")]
    pub trust_principal: Option<String>,
}

/// Which catalog entry, which integrations, with which parameters and names.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    #[command(flatten)]
    pub entry: EntryArgs,

    /// Name of the (first) role instead of the catalog's (the prefix and suffix still apply).
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// Prefix for every resource name, so that two installs can live in one account.
    #[arg(
        long,
        value_name = "PREFIX",
        default_value = "",
        allow_hyphen_values = true
    )]
    pub name_prefix: String,

    /// Suffix for every resource name, so that two installs can live in one account.
    #[arg(
        long,
        value_name = "SUFFIX",
        default_value = "",
        allow_hyphen_values = true
    )]
    pub name_suffix: String,

    /// IAM path for every resource, such as /vendors/.
    #[arg(long, default_value = "/")]
    pub path: String,
}

/// Where a new access key goes.
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// Write a new access key to this file (JSON, mode 0600); the file must not exist yet. For
    /// apply in many accounts (--accounts, --organization), put {account} in the path: one file
    /// per account.
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,

    /// Print a new access key's secret on stdout instead.
    #[arg(long, conflicts_with = "key_file")]
    pub show_secret: bool,
}

/// The flags that shape every role and resource but not the catalog entry: apply, plan and
/// export share them.
#[derive(Debug, Default, Args)]
pub(crate) struct RenderFlags {
    /// ARN of a managed policy to set as the permissions boundary of every role.
    #[arg(long, value_name = "ARN")]
    pub permissions_boundary: Option<String>,

    /// Maximum session duration of the roles, 3600 to 43200 seconds. Default: the catalog's,
    /// else 3600.
    #[arg(long, value_name = "SECONDS")]
    pub max_session_duration: Option<i32>,

    /// Extra tag for every resource, KEY=VALUE; repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

/// What apply (and plan) change: the target and everything rendered into it.
#[derive(Debug, Args)]
pub(crate) struct ChangeArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// External ID for trust policies that ask for one (given by the vendor); trust statements
    /// that let another account assume a role without one (Streamkap BYOC) get the sts:ExternalId
    /// condition added. Without it onboard keeps the role's current one, or, where the catalog
    /// asks for one, generates one and prints it for you to hand over.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    #[command(flatten)]
    pub render: RenderFlags,

    /// Also detach managed policies the catalog does not name from onboard's roles and users
    /// (by default they are reported and left attached).
    #[arg(long)]
    pub exclusive: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub change: ChangeArgs,

    /// Skip the verification after apply.
    #[arg(long)]
    pub no_verify: bool,

    #[command(flatten)]
    pub key: KeyArgs,

    #[command(flatten)]
    pub verify: VerifyOptions,

    #[command(flatten)]
    pub accounts: AccountsArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub change: ChangeArgs,

    #[command(flatten)]
    pub accounts: AccountsArgs,

    /// Exit 0 when there is nothing to change, 2 when changes are pending (1 on errors), as
    /// Terraform's plan -detailed-exitcode does.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("subject").required(true).args(["role_arn", "user_arn"]))]
pub(crate) struct VerifyArgs {
    /// ARN of the role to check, as apply printed it.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// ARN of a user to check instead (vendors that take an access key).
    #[arg(long, value_name = "ARN")]
    pub user_arn: Option<String>,

    /// External ID to pass to sts:AssumeRole.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// Compare with this catalog file instead of the built-in entry the resource's tags name.
    #[arg(long, value_name = "PATH")]
    pub catalog_file: Option<PathBuf>,

    #[command(flatten)]
    pub verify: VerifyOptions,
}

/// How the sts:AssumeRole check behaves.
#[derive(Debug, Clone, Args)]
pub(crate) struct VerifyOptions {
    /// Session name for sts:AssumeRole. Default: onboard-verify-<unix time>.
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TeardownArgs {
    /// Only remove what onboard created for this vendor.
    #[arg(long)]
    pub vendor: Option<String>,

    /// Only remove what this integration of --vendor needs (repeatable): a role other
    /// integrations still serve keeps their trust statements and policies.
    #[arg(long = "integration", value_name = "NAME", requires = "vendor")]
    pub integrations: Vec<String>,

    /// Do not ask for confirmation (required when stdin is not a terminal, and with --accounts or
    /// --organization).
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub accounts: AccountsArgs,
}

/// Many accounts at once: apply, plan or teardown in each, by assuming a role there.
#[derive(Debug, Clone, Args)]
pub(crate) struct AccountsArgs {
    /// Work in each of these accounts (12-digit ids, comma-separated) instead of the caller's
    /// own, through the role --assume-role-name in each; the caller's own account, if listed,
    /// uses the caller's credentials.
    #[arg(long, value_name = "ID,ID", value_delimiter = ',', value_parser = parse_account_id)]
    pub accounts: Vec<String>,

    /// Work in every ACTIVE account of the caller's organization (organizations:ListAccounts),
    /// except the management account.
    #[arg(long, conflicts_with = "accounts")]
    pub organization: bool,

    /// Role to assume in each account of --accounts or --organization.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole"
    )]
    pub assume_role_name: String,

    /// Accounts worked on at once (each with its own --concurrency bound on the AWS requests in
    /// flight: IAM throttles each account on its own).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub account_concurrency: u16,
}

/// A 12-digit AWS account id.
fn parse_account_id(value: &str) -> Result<String, String> {
    if crate::policy::limits::is_account_id(value) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "'{value}' is not an AWS account id: give 12 digits, such as 123456789012"
        ))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// List the built-in vendors and their integrations.
    List,
    /// Print the exact documents apply would create, rendered, without any AWS call.
    Show(ShowArgs),
    /// Turn a vendor's CloudFormation template (YAML or JSON) into a catalog file.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The CloudFormation template: YAML (short-form tags such as !Ref, !Sub, !GetAtt, !If
    /// included) or JSON.
    #[arg(value_name = "TEMPLATE")]
    pub template: PathBuf,

    /// Name of the vendor (lowercase letters, digits and '-'), recorded in the entry and in
    /// the onboard:vendor tag of what apply --catalog-file creates from it.
    #[arg(long)]
    pub vendor: String,

    /// Name of the integration in the catalog file.
    #[arg(long, value_name = "NAME", default_value = "cloudformation")]
    pub integration: String,

    /// Write the catalog file here instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Built-in vendor to show.
    #[arg(required_unless_present = "catalog_file")]
    pub vendor: Option<String>,

    /// A catalog file of your own instead.
    #[arg(long, value_name = "PATH", conflicts_with = "vendor")]
    pub catalog_file: Option<PathBuf>,

    /// Integration to show; repeatable. Default: the vendor's default integration.
    #[arg(long = "integration", value_name = "NAME")]
    pub integrations: Vec<String>,

    /// Parameter value, NAME=VALUE; repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// Principal that may assume the role (vendors that take one).
    #[arg(long, value_name = "ARN")]
    pub trust_principal: Option<String>,

    /// Account id to render ARNs with. Default: ${AccountId} left in place.
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    pub account: Option<String>,

    /// Partition to render ARNs with.
    #[arg(long, default_value = "aws")]
    pub partition: String,

    /// External ID to render trust policies with, also added to statements that trust another
    /// account without one (as apply does). Default: ${ExternalId} left in place.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RotateKeyArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write onboard.1 and a page per subcommand (onboard-apply.1, ...) into this directory
    /// instead of printing onboard.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Default of the template's external ID parameter (vendors whose trust policy asks for
    /// one; trust that lets another account in without one gets the condition, as with apply).
    /// Without it the deployer must give one.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    #[command(flatten)]
    pub render: RenderFlags,

    /// What to write.
    #[arg(long, value_enum)]
    pub format: ExportFormat,

    /// Write to this file instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// A CloudFormation template (JSON); deploy it with CAPABILITY_NAMED_IAM, also as a StackSet.
    Cloudformation,
    /// Terraform configuration (HCL) for the hashicorp/aws provider.
    Terraform,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    #[command(flatten)]
    pub entry: EntryArgs,

    /// External ID to check the trust policies with, as apply would add it.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// Your account id: principals in it are not third parties. Default: a stand-in account
    /// (so every account id a trust policy names counts as another account).
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    pub account: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    pub accounts: AccountsArgs,

    /// Names for more accounts: a YAML list in the format of the public known_aws_accounts list
    /// (`- name: ...` with `accounts: ['123456789012', ...]`). The catalog's vendors are known
    /// already.
    #[arg(long, value_name = "FILE")]
    pub known_accounts: Option<PathBuf>,

    /// Report third-party access not used for more than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub stale_days: u32,

    /// Report active access keys older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub key_max_age: u32,

    /// Exit 1 when a finding at this level or above exists (error > security > warning), for CI.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// The time to count ages and idle days up to, RFC 3339 (tests fix the clock with it).
    #[arg(long, hide = true, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<i64>,
}

/// `--fail-on`: the least severe finding that fails the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Error,
    Security,
    Warning,
}

impl FailOn {
    pub(crate) fn severity(self) -> crate::policy::lint::Severity {
        use crate::policy::lint::Severity;
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Security => Severity::Security,
            FailOn::Warning => Severity::Warning,
        }
    }
}

/// An RFC 3339 time, as seconds since the epoch.
fn parse_time(value: &str) -> Result<i64, String> {
    aws_sdk_iam::primitives::DateTime::from_str(
        value,
        aws_sdk_iam::primitives::DateTimeFormat::DateTime,
    )
    .map(|t| t.secs())
    .map_err(|_| format!("'{value}' is not an RFC 3339 time such as 2026-01-31T12:00:00Z"))
}

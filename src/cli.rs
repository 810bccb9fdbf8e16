//! Command-line types. The doc comments here are the `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Onboard a SaaS vendor into your AWS account: create the IAM policies and the cross-account role
/// the vendor asks for, verify them, hand back the role ARN, and remove everything again on teardown.
#[derive(Debug, Parser)]
#[command(name = "onboard", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command shares; they follow the aws CLI and its environment variables.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
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

    /// Format of the results on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// More logging on stderr: -v shows each change as it is made, -vv debug output, -vvv every
    /// AWS request. RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable lines; for apply the role ARN is the last line.
    Text,
    /// One JSON object.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the vendor's policies and role (whatever is missing), attach them, verify, print the role ARN.
    Apply(ApplyArgs),
    /// Check a role: read it back, compare it with the catalog, and try sts:AssumeRole.
    Verify(VerifyArgs),
    /// Remove every resource onboard created (found by its tags), and nothing else.
    Teardown(TeardownArgs),
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Vendor to onboard (see the README for the list).
    #[arg(long)]
    pub vendor: String,

    /// Integration of the vendor; default: the vendor's default integration.
    #[arg(long)]
    pub integration: Option<String>,

    /// Name of the role instead of the catalog's (the prefix and suffix still apply).
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

    /// IAM path for the role and policies, such as /vendors/.
    #[arg(long, default_value = "/")]
    pub path: String,

    /// ARN of a managed policy to set as the role's permissions boundary.
    #[arg(long, value_name = "ARN")]
    pub permissions_boundary: Option<String>,

    /// Maximum session duration of the role, 3600 to 43200 seconds. Default: the catalog's, else 3600.
    #[arg(long, value_name = "SECONDS")]
    pub max_session_duration: Option<i32>,

    /// Extra tag for every resource created, KEY=VALUE; repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,

    /// Skip the verification after apply.
    #[arg(long)]
    pub no_verify: bool,

    #[command(flatten)]
    pub verify: VerifyOptions,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// ARN of the role to check, as apply printed it.
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,

    /// External ID to pass to sts:AssumeRole.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    #[command(flatten)]
    pub verify: VerifyOptions,
}

/// How the sts:AssumeRole check behaves.
#[derive(Debug, Clone, Args)]
pub struct VerifyOptions {
    /// Longest time to wait for IAM to propagate a new role when the caller is trusted and
    /// sts:AssumeRole still answers AccessDenied.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub wait: u64,

    /// Session name for sts:AssumeRole. Default: onboard-verify-<unix time>.
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct TeardownArgs {
    /// Only remove what onboard created for this vendor.
    #[arg(long)]
    pub vendor: Option<String>,

    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

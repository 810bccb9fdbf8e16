//! The proxy's simulation of IAM's eventual consistency. moto is strongly consistent; real IAM
//! replicates each change for a while (AWS's IAM guide, "Changes that I make are not always
//! immediately visible"; the Terraform AWS provider's IAM code and its issues; see
//! shared/AWS-SDK-AND-MOTO.md). For `window` after a change, a request that names the changed
//! entity gets, at `per_thousand` of every thousand such requests (drawn from `seed`), the answer
//! propagating IAM gives:
//!
//! | after | request | answer |
//! |---|---|---|
//! | an entity (role, managed policy, user, instance profile, access key) is created | a read that names it (`Get*`, `List*` with its name) | `NoSuchEntity` (404) |
//! | the same | a write that uses it: attach, add role to instance profile, tag, create access key or policy version, update trust or role, put boundary, update access key | `NoSuchEntity` (404) |
//! | a role or user is created | `CreateRole`/`UpdateAssumeRolePolicy` whose trust policy names it | `MalformedPolicyDocument: Invalid principal in policy` (400) |
//! | a role is created | `sts:AssumeRole` on it | `AccessDenied` (403) |
//! | a new default policy version is set | `GetPolicy` | the previous `DefaultVersionId` |
//! | the same | `GetPolicyVersion` of the new version | `NoSuchEntity` (404) |
//! | an entity is deleted | `Get*` of it (when an earlier answer is known) | that earlier answer |
//! | the same | `ListRoles`, `ListPolicies`, `ListUsers`, `ListInstanceProfiles`, `ListAccessKeys`, `GetAccountAuthorizationDetails` | the list with the entity still in it |
//!
//! Removals (detach, remove, delete) are answered by moto as they come: the model has them
//! refused by nothing but the truth. The messages are AWS's.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How the simulated IAM propagates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PropagationMode {
    /// How long a change takes to be visible everywhere.
    pub window: Duration,
    /// Of every thousand requests that name a propagating entity, how many see the old state.
    pub per_thousand: u64,
    pub seed: u64,
}

/// The answers the simulation gave, counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PropagationCounts {
    /// `NoSuchEntity` for an entity created moments ago.
    pub missing: u32,
    /// `AccessDenied` from `sts:AssumeRole` on a role created moments ago.
    pub denied: u32,
    /// `Invalid principal` for a principal created moments ago.
    pub invalid_principal: u32,
    /// An old default version, or a deleted entity still read or listed.
    pub stale: u32,
}

impl PropagationCounts {
    pub(crate) fn total(&self) -> u32 {
        self.missing + self.denied + self.invalid_principal + self.stale
    }
}

/// An answer the simulation gives instead of moto's.
pub(crate) enum Simulated {
    Error(u16, String),
    /// A 200 with this body (a deleted entity's last answer).
    Body(String),
}

/// What happens to moto's answer after it comes back.
#[derive(Default)]
pub(crate) struct Rewrite {
    /// `GetPolicy`: show this default version instead.
    default_version: Option<(String, String)>,
    /// Lists: members to put back (deleted moments ago), each with its container.
    members: Vec<(&'static str, String)>,
}

pub(crate) struct Simulation {
    mode: PropagationMode,
    state: u64,
    /// Entity key ("role:NAME") → when it was created.
    created: HashMap<String, Instant>,
    /// Entity key → when it was deleted.
    deleted: HashMap<String, Instant>,
    /// Policy ARN → (previous default, new default, when it changed).
    new_defaults: HashMap<String, (String, String, Instant)>,
    /// Policy ARN → its default version as last seen.
    defaults: HashMap<String, String>,
    /// Entity key → the last `Get*` answer for it.
    last_read: HashMap<String, String>,
    /// Entity key → its `<member>` in the last listing that showed it.
    last_listed: HashMap<String, String>,
    pub counts: PropagationCounts,
}

/// Form parameters of a request, decoded.
pub(crate) type Params = HashMap<String, String>;

/// The entity keys a request names (its parameters), with the message AWS gives when one of them
/// cannot be found.
fn named(action: &str, params: &Params) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Some(name) = params.get("RoleName") {
        found.push((
            format!("role:{name}"),
            format!("The role with name {name} cannot be found."),
        ));
    }
    if let Some(arn) = params.get("PolicyArn") {
        let message = if action.starts_with("Attach") {
            format!("Policy {arn} does not exist or is not attachable.")
        } else {
            format!("Policy {arn} was not found.")
        };
        found.push((format!("policy:{arn}"), message));
    }
    if let Some(name) = params.get("UserName") {
        found.push((
            format!("user:{name}"),
            format!("The user with name {name} cannot be found."),
        ));
    }
    if let Some(name) = params.get("InstanceProfileName") {
        found.push((
            format!("profile:{name}"),
            format!("Instance Profile {name} cannot be found."),
        ));
    }
    if let Some(id) = params.get("AccessKeyId") {
        found.push((
            format!("key:{id}"),
            format!("The Access Key with id {id} cannot be found."),
        ));
    }
    found
}

/// Writes that use an entity and fail while it propagates.
const DEPENDENT_WRITES: &[&str] = &[
    "AttachRolePolicy",
    "AttachUserPolicy",
    "AddRoleToInstanceProfile",
    "TagRole",
    "TagPolicy",
    "TagUser",
    "TagInstanceProfile",
    "CreateAccessKey",
    "CreatePolicyVersion",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "PutRolePermissionsBoundary",
    "UpdateAccessKey",
];

/// List actions (an action may list several kinds), the element holding their members, and the
/// member's identifying element.
const LISTS: &[(&str, &str, &str, &str)] = &[
    ("ListRoles", "Roles", "RoleName", "role"),
    ("ListPolicies", "Policies", "Arn", "policy"),
    ("ListUsers", "Users", "UserName", "user"),
    (
        "ListInstanceProfiles",
        "InstanceProfiles",
        "InstanceProfileName",
        "profile",
    ),
    ("ListAccessKeys", "AccessKeyMetadata", "AccessKeyId", "key"),
    (
        "GetAccountAuthorizationDetails",
        "RoleDetailList",
        "RoleName",
        "role",
    ),
    (
        "GetAccountAuthorizationDetails",
        "UserDetailList",
        "UserName",
        "user",
    ),
    (
        "GetAccountAuthorizationDetails",
        "Policies",
        "Arn",
        "policy",
    ),
];

pub(crate) fn error_body(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>propagating</RequestId></ErrorResponse>"
    )
}

/// The text of the first `<tag>...</tag>` in `xml`.
fn first(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..start + end].to_owned())
}

/// The top-level `<member>` elements inside `<container>` (members nest).
fn members(xml: &str, container: &str) -> Vec<String> {
    let Some(start) = xml.find(&format!("<{container}>")) else {
        return Vec::new();
    };
    let mut rest = &xml[start + container.len() + 2..];
    let mut found = Vec::new();
    while let Some(open) = rest.find("<member>") {
        let close_container = rest.find(&format!("</{container}>")).unwrap_or(usize::MAX);
        if open > close_container {
            break;
        }
        let mut depth = 0;
        let mut index = open;
        loop {
            let next_open = rest[index + 1..].find("<member>").map(|i| i + index + 1);
            let next_close = rest[index..].find("</member>").map(|i| i + index);
            match (next_open, next_close) {
                (Some(o), Some(c)) if o < c => {
                    depth += 1;
                    index = o;
                }
                (_, Some(c)) if depth > 0 => {
                    depth -= 1;
                    index = c + 1;
                }
                (_, Some(c)) => {
                    let end = c + "</member>".len();
                    found.push(rest[open..end].to_owned());
                    rest = &rest[end..];
                    break;
                }
                (_, None) => return found,
            }
        }
    }
    found
}

impl Simulation {
    pub(crate) fn new(mode: PropagationMode) -> Self {
        Simulation {
            mode,
            state: mode.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            created: HashMap::new(),
            deleted: HashMap::new(),
            new_defaults: HashMap::new(),
            defaults: HashMap::new(),
            last_read: HashMap::new(),
            last_listed: HashMap::new(),
            counts: PropagationCounts::default(),
        }
    }

    /// Changes the rate, keeping what was changed and when.
    pub(crate) fn set_rate(&mut self, per_thousand: u64) {
        self.mode.per_thousand = per_thousand;
    }

    /// Starts the windows again now, as if the changes had just been made, so that a test of
    /// what comes "right after" does not depend on how long the run before it took. With a
    /// `kind` (`role`, `policy`, `user`, `profile`, `key`), only that kind's windows start again
    /// and every other window ends.
    pub(crate) fn restart(&mut self, kind: Option<&str>) {
        let now = Instant::now();
        let Some(kind) = kind else {
            for at in self.created.values_mut().chain(self.deleted.values_mut()) {
                *at = now;
            }
            for (_, _, at) in self.new_defaults.values_mut() {
                *at = now;
            }
            return;
        };
        let prefix = format!("{kind}:");
        self.created.retain(|key, _| key.starts_with(&prefix));
        self.deleted.retain(|key, _| key.starts_with(&prefix));
        self.new_defaults.clear();
        for at in self.created.values_mut().chain(self.deleted.values_mut()) {
            *at = now;
        }
    }

    /// Ends every window: from now on IAM shows everything as it is.
    pub(crate) fn settle(&mut self) {
        self.created.clear();
        self.deleted.clear();
        self.new_defaults.clear();
    }

    /// Whether this request sees the old state (a seeded draw at the mode's rate).
    fn draw(&mut self) -> bool {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d) % 1000 < self.mode.per_thousand
    }

    fn young(&self, since: Option<&Instant>) -> bool {
        since.is_some_and(|at| at.elapsed() < self.mode.window)
    }

    /// The answer to give instead of moto's, if the request sees IAM before a change propagated.
    pub(crate) fn before(&mut self, action: &str, params: &Params) -> Option<Simulated> {
        if action == "AssumeRole" {
            let arn = params.get("RoleArn")?;
            let name = arn.rsplit('/').next()?;
            if self.young(self.created.get(&format!("role:{name}"))) && self.draw() {
                self.counts.denied += 1;
                let caller = "arn:aws:iam::123456789012:user/moto";
                let body = error_body(
                    "AccessDenied",
                    &format!(
                        "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {arn}"
                    ),
                );
                return Some(Simulated::Error(403, body));
            }
            return None;
        }
        if matches!(action, "CreateRole" | "UpdateAssumeRolePolicy") {
            let document = params
                .get("AssumeRolePolicyDocument")
                .or_else(|| params.get("PolicyDocument"))?;
            let young: Vec<String> = self
                .created
                .iter()
                .filter(|(_, at)| at.elapsed() < self.mode.window)
                .filter_map(|(key, _)| {
                    let (kind, name) = key.split_once(':')?;
                    matches!(kind, "role" | "user").then(|| format!(":{kind}/{name}\""))
                })
                .filter(|pattern| document.contains(pattern.as_str()))
                .collect();
            if let Some(pattern) = young.first()
                && self.draw()
            {
                self.counts.invalid_principal += 1;
                let principal = pattern.trim_start_matches(':').trim_end_matches('"');
                let body = error_body(
                    "MalformedPolicyDocument",
                    &format!("Invalid principal in policy: \"AWS\":\"...:{principal}\""),
                );
                return Some(Simulated::Error(400, body));
            }
        }
        let reads = action.starts_with("Get") || action.starts_with("List");
        if reads || DEPENDENT_WRITES.contains(&action) {
            for (key, message) in named(action, params) {
                if self.young(self.created.get(&key)) && self.draw() {
                    self.counts.missing += 1;
                    return Some(Simulated::Error(404, error_body("NoSuchEntity", &message)));
                }
            }
        }
        if action == "GetPolicyVersion"
            && let (Some(arn), Some(version)) = (params.get("PolicyArn"), params.get("VersionId"))
            && let Some((_, new, at)) = self.new_defaults.get(arn)
            && new == version
            && at.elapsed() < self.mode.window
            && self.draw()
        {
            self.counts.stale += 1;
            let message =
                format!("Policy {arn} version {version} does not exist or is not attachable.");
            return Some(Simulated::Error(404, error_body("NoSuchEntity", &message)));
        }
        if action.starts_with("Get") {
            for (key, _) in named(action, params) {
                if self.young(self.deleted.get(&key))
                    && let Some(body) = self.last_read.get(&key).cloned()
                    && self.draw()
                {
                    self.counts.stale += 1;
                    return Some(Simulated::Body(body));
                }
            }
        }
        None
    }

    /// How to change moto's answer to this request, if IAM would still show the old state.
    pub(crate) fn rewrite(&mut self, action: &str, params: &Params) -> Rewrite {
        let mut rewrite = Rewrite::default();
        if action == "GetPolicy"
            && let Some(arn) = params.get("PolicyArn")
            && let Some((old, new, at)) = self.new_defaults.get(arn).cloned()
            && at.elapsed() < self.mode.window
            && self.draw()
        {
            self.counts.stale += 1;
            rewrite.default_version = Some((new, old));
        }
        for &(_, container, _, kind) in LISTS.iter().filter(|(a, ..)| *a == action) {
            let deleted: Vec<String> = self
                .deleted
                .iter()
                .filter(|(key, at)| {
                    key.starts_with(&format!("{kind}:")) && at.elapsed() < self.mode.window
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in deleted {
                if let Some(member) = self.last_listed.get(&key).cloned()
                    && self.draw()
                {
                    self.counts.stale += 1;
                    rewrite.members.push((container, member));
                }
            }
        }
        rewrite
    }

    /// Applies `rewrite` to moto's answer body.
    pub(crate) fn apply(rewrite: &Rewrite, body: String) -> String {
        let mut body = body;
        if let Some((new, old)) = &rewrite.default_version {
            body = body.replace(
                &format!("<DefaultVersionId>{new}</DefaultVersionId>"),
                &format!("<DefaultVersionId>{old}</DefaultVersionId>"),
            );
        }
        for (container, member) in &rewrite.members {
            let close = format!("</{container}>");
            if body.contains(&close) {
                body = body.replacen(&close, &format!("{member}{close}"), 1);
            } else {
                body = body.replacen(
                    &format!("<{container}/>"),
                    &format!("<{container}>{member}{close}"),
                    1,
                );
            }
        }
        body
    }

    /// Learns from moto's successful answer: what was created, deleted or changed, and the last
    /// answers for what is read and listed.
    pub(crate) fn after(&mut self, action: &str, params: &Params, body: &str) {
        let now = Instant::now();
        let param = |key: &str| params.get(key).cloned().unwrap_or_default();
        match action {
            "CreateRole" => {
                self.created
                    .insert(format!("role:{}", param("RoleName")), now);
            }
            "CreateUser" => {
                self.created
                    .insert(format!("user:{}", param("UserName")), now);
            }
            "CreateInstanceProfile" => {
                let name = param("InstanceProfileName");
                self.created.insert(format!("profile:{name}"), now);
            }
            "CreatePolicy" => {
                if let Some(arn) = first(body, "Arn") {
                    self.defaults.insert(arn.clone(), "v1".into());
                    self.created.insert(format!("policy:{arn}"), now);
                }
            }
            "CreateAccessKey" => {
                if let Some(id) = first(body, "AccessKeyId") {
                    self.created.insert(format!("key:{id}"), now);
                }
            }
            "CreatePolicyVersion" if param("SetAsDefault") == "true" => {
                let arn = param("PolicyArn");
                if let (Some(new), Some(old)) =
                    (first(body, "VersionId"), self.defaults.get(&arn).cloned())
                {
                    self.defaults.insert(arn.clone(), new.clone());
                    self.new_defaults.insert(arn, (old, new, now));
                }
            }
            "GetPolicy" => {
                if let Some(version) = first(body, "DefaultVersionId") {
                    self.defaults.insert(param("PolicyArn"), version);
                }
            }
            _ => {}
        }
        let deleted = match action {
            "DeleteRole" => Some(format!("role:{}", param("RoleName"))),
            "DeletePolicy" => Some(format!("policy:{}", param("PolicyArn"))),
            "DeleteUser" => Some(format!("user:{}", param("UserName"))),
            "DeleteInstanceProfile" => Some(format!("profile:{}", param("InstanceProfileName"))),
            "DeleteAccessKey" => Some(format!("key:{}", param("AccessKeyId"))),
            _ => None,
        };
        if let Some(key) = deleted {
            self.created.remove(&key);
            self.deleted.insert(key, now);
        }
        let read = match action {
            "GetRole" => Some(format!("role:{}", param("RoleName"))),
            "GetPolicy" => Some(format!("policy:{}", param("PolicyArn"))),
            "GetUser" => Some(format!("user:{}", param("UserName"))),
            "GetInstanceProfile" => Some(format!("profile:{}", param("InstanceProfileName"))),
            _ => None,
        };
        if let Some(key) = read {
            self.last_read.insert(key, body.to_owned());
        }
        for &(_, container, id, kind) in LISTS.iter().filter(|(a, ..)| *a == action) {
            for member in members(body, container) {
                if let Some(value) = first(&member, id) {
                    self.last_listed.insert(format!("{kind}:{value}"), member);
                }
            }
        }
    }
}

/// Decodes an `application/x-www-form-urlencoded` body.
pub(crate) fn form(body: &[u8]) -> Params {
    let decode = |text: &str| {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(byte) => {
                            out.push(byte);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    std::str::from_utf8(body)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_members_are_split_at_the_top_level() {
        let xml = "<R><InstanceProfiles><member><InstanceProfileName>a</InstanceProfileName>\
                   <Roles><member><RoleName>r</RoleName></member></Roles></member>\
                   <member><InstanceProfileName>b</InstanceProfileName><Roles/></member>\
                   </InstanceProfiles></R>";
        let found = members(xml, "InstanceProfiles");
        assert_eq!(found.len(), 2);
        assert!(found[0].ends_with("</Roles></member>"));
        assert_eq!(
            first(&found[1], "InstanceProfileName").as_deref(),
            Some("b")
        );
    }
}
